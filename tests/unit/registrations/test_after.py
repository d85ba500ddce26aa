"""After the seminar, through the service's entrypoints: messages, materials, feedback."""
import base64
from datetime import timedelta

import pytest
from werkzeug.test import EnvironBuilder

from services.common.errors import Conflict, NotFound, ValidationError
from services.registrations import messaging
from services.registrations.site import CSRF_COOKIE, _csrf_new
from tests.unit.registrations.test_service import KEY, NOW, person, published

PDF = b"%PDF-1.7\n% slides\n"


def b64(data):
    return base64.b64encode(data).decode()


def event_with_people(service, **overrides):
    """Two seats: Jana 1 and 2 confirmed, Jana 3 waiting, Jana 4 cancelled; 1 checked in, 2 marked."""
    event = published(service, lecturer="Ing. Eva Malá", **overrides)
    people = [service.register(event["id"], person(n)) for n in range(1, 4)]
    service.cancel_registration(service.register(event["id"], person(4))["id"])
    service.check_in(event["id"], people[0]["ticket_code"], any_day=True)  # ahead of the day, as asked
    return event, people


def during_the_event(service):
    """Attendance is marked from the start on."""
    service.clock_state["now"] = NOW + timedelta(days=10, minutes=1)


def after_the_event(service, event):
    service.clock_state["now"] = NOW + timedelta(days=11)


def sent_of(service, purpose):
    return [payload for event_type, payload in service.recorded()
            if event_type == "attendees_messaged" and payload["purpose"] == purpose]


@pytest.mark.parametrize("audience, who", [
    ("all", ["jana1@obec.example", "jana2@obec.example", "jana3@obec.example"]),
    ("confirmed", ["jana1@obec.example", "jana2@obec.example"]),
    ("waitlisted", ["jana3@obec.example"]),
])
def test_a_message_goes_to_the_chosen_people_of_the_event(service, audience, who):
    event, _people = event_with_people(service)
    assert service.message_attendees(event["id"], "Změna sálu", "Sejdeme se v sále 2.", audience) == {
        "queued": len(who)}
    [payload] = sent_of(service, "message")
    assert [r["email"] for r in payload["recipients"]] == who
    assert (payload["subject"], payload["text"], payload["event"]["id"]) == ("Změna sálu", "Sejdeme se v sále 2.",
                                                                             event["id"])


def test_a_bad_message_is_refused_in_czech_and_sends_nothing(service):
    event, _people = event_with_people(service)
    before = len(service.recorded())
    with pytest.raises(ValidationError) as refused:
        service.message_attendees(event["id"], "Dva\nřádky", "", "all")
    assert set(refused.value.fields) == {"subject", "text"}
    with pytest.raises(ValidationError) as refused:
        service.message_attendees(event["id"], "Předmět", "Text", "nikdo")
    assert "audience" in refused.value.fields
    with pytest.raises(NotFound):
        service.message_attendees(999, "Předmět", "Text", "all")
    assert len(service.recorded()) == before


def test_materials_are_checked_for_type_size_and_content(service):
    event, _people = event_with_people(service)
    added = service.add_material(event["id"], "C:\\prezentace\\Odpady – přednáška.pdf", b64(PDF))
    assert (added["filename"], added["content_type"], added["size"]) == ("Odpady – přednáška.pdf",
                                                                         "application/pdf", len(PDF))
    refusals = [("skript.exe", b"MZ..."), ("prezentace.pdf", b"<html>not a pdf"), ("prazdny.pdf", b""),
                ("slides.pptx", PDF), ("velky.pdf", b"%PDF-" + b"x" * (10 * 1024 * 1024))]
    for filename, data in refusals:
        with pytest.raises(ValidationError) as refused:
            service.add_material(event["id"], filename, b64(data))
        assert refused.value.fields["file"], filename
    with pytest.raises(ValidationError) as refused:
        service.add_material(event["id"], "a.pdf", "není base64!")
    assert "base64" in refused.value.fields["data"]
    assert [m["filename"] for m in service.list_materials(event["id"])] == ["Odpady – přednáška.pdf"]
    service.remove_material(event["id"], added["id"])
    assert service.list_materials(event["id"]) == []
    with pytest.raises(NotFound):
        service.remove_material(event["id"], added["id"])


def test_materials_go_once_to_those_who_came_with_a_personal_link(service):
    event, people = event_with_people(service)
    with pytest.raises(Conflict) as refused:
        service.send_materials(event["id"])
    assert refused.value.code == "no_materials"
    service.add_material(event["id"], "slides.pdf", b64(PDF))
    assert service.send_materials(event["id"]) == {"sent": 1}  # only Jana 1 checked in
    during_the_event(service)
    service.mark_attendance(event["id"], [people[1]["id"]])
    assert service.send_materials(event["id"]) == {"sent": 1}  # now Jana 2; Jana 1 not again
    assert service.send_materials(event["id"]) == {"sent": 0}
    first, second = sent_of(service, "materials")
    assert [r["email"] for r in first["recipients"] + second["recipients"]] == [
        "jana1@obec.example", "jana2@obec.example"]
    token = messaging.signed_token(KEY, "materials", people[0]["id"])
    assert first["recipients"][0]["link"] == f"https://akce.example/materials/{token}"


def page(service, handler, method="GET", form=None, cookie=None, **kwargs):
    builder = EnvironBuilder(method=method, data=form)
    if cookie:
        builder.headers["Cookie"] = f"{CSRF_COOKIE}={cookie}"
    return getattr(service, handler)(builder.get_request(), **kwargs)


def test_the_materials_page_serves_attendees_and_refuses_everyone_else(service):
    event, people = event_with_people(service)
    material = service.add_material(event["id"], "Přednáška.pdf", b64(PDF))
    token = messaging.signed_token(KEY, "materials", people[0]["id"])
    listing = page(service, "page_materials", token=token)
    assert listing.status_code == 200 and "Přednáška.pdf" in listing.get_data(as_text=True)
    served = page(service, "page_material_file", token=token, material_id=material["id"])
    assert served.status_code == 200 and served.get_data() == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"Prednaska.pdf\"; filename*=UTF-8''P%C5%99edn%C3%A1%C5%A1ka.pdf")

    not_came = messaging.signed_token(KEY, "materials", people[1]["id"])
    waiting = messaging.signed_token(KEY, "materials", people[2]["id"])
    feedback_link = messaging.signed_token(KEY, "feedback", people[0]["id"])
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    for link, status in ((not_came, 403), (waiting, 403), (feedback_link, 404), (forged, 404),
                         (people[0]["token"], 404)):
        refused = page(service, "page_material_file", token=link, material_id=material["id"])
        assert refused.status_code == status, link
        assert refused.get_data() != PDF and "text/html" in refused.headers["Content-Type"]
    assert "jen pro ty, kdo se akce zúčastnili" in page(service, "page_materials", token=not_came).get_data(
        as_text=True)
    other = published(service)
    elsewhere = service.add_material(other["id"], "cizi.pdf", b64(PDF))
    assert page(service, "page_material_file", token=token, material_id=elsewhere["id"]).status_code == 404
    service.cancel_registration(people[0]["id"])
    assert page(service, "page_material_file", token=token, material_id=material["id"]).status_code == 403


def test_the_materials_page_greets_as_the_emails_do(service):
    event = published(service, capacity=5)
    greeted = {("Petr", "Svoboda"): "Dobrý den, pane Svobodo, děkujeme za účast.",
               ("Jana", "Nováková"): "Dobrý den, paní Nováková, děkujeme za účast.",
               ("Kim", "Nguyen"): "Dobrý den, děkujeme za účast."}
    people = {name: service.register(event["id"], person(n, first_name=name[0], last_name=name[1]))
              for n, name in enumerate(greeted)}
    for name, registration in people.items():
        service.check_in(event["id"], registration["ticket_code"], any_day=True)
        shown = page(service, "page_materials", token=messaging.signed_token(KEY, "materials", registration["id"]))
        assert greeted[name] in shown.get_data(as_text=True)


def test_feedback_requests_wait_for_the_end_and_go_once(service):
    event, people = event_with_people(service)
    during_the_event(service)
    service.mark_attendance(event["id"], [people[1]["id"]])
    with pytest.raises(Conflict) as refused:
        service.send_feedback_requests(event["id"])
    assert refused.value.code == "event_not_over"
    after_the_event(service, event)
    assert service.send_feedback_requests(event["id"]) == {"sent": 2}
    assert service.send_feedback_requests(event["id"]) == {"sent": 0}
    [payload] = sent_of(service, "feedback")
    assert [r["link"] for r in payload["recipients"]] == [
        f"https://akce.example/feedback/{messaging.signed_token(KEY, 'feedback', p['id'])}" for p in people[:2]]


def answer_form(csrf, **values):
    return dict({"csrf": csrf, "content_rating": "5", "lecturer_rating": "4", "organisation_rating": "3",
                 "comment": "Výborné, <b>díky</b>"}, **values)


def test_feedback_is_answered_once_and_summed_up(service):
    event, people = event_with_people(service)
    during_the_event(service)
    service.mark_attendance(event["id"], [people[1]["id"]])
    after_the_event(service, event)
    service.send_feedback_requests(event["id"])
    csrf = _csrf_new(KEY)
    first = messaging.signed_token(KEY, "feedback", people[0]["id"])
    form = page(service, "page_feedback", token=first, cookie=csrf)
    assert form.status_code == 200 and "<legend>Lektor" in form.get_data(as_text=True)

    missing = page(service, "page_feedback_answer", "POST", answer_form(csrf, lecturer_rating=""), cookie=csrf,
                   token=first)
    assert missing.status_code == 422 and "Toto pole je povinné." in missing.get_data(as_text=True)
    out_of_range = page(service, "page_feedback_answer", "POST", answer_form(csrf, content_rating="7"), cookie=csrf,
                        token=first)
    assert out_of_range.status_code == 422 and "Vyberte hodnocení 1 až 5." in out_of_range.get_data(as_text=True)
    for odd in ("²", "9" * 5000):  # digits to str.isdigit, not to int(): a Czech refusal, not a 500
        odd_answer = page(service, "page_feedback_answer", "POST", answer_form(csrf, content_rating=odd),
                          cookie=csrf, token=first)
        assert odd_answer.status_code == 422
    no_csrf = page(service, "page_feedback_answer", "POST", answer_form("x"), token=first)
    assert no_csrf.status_code == 403

    saved = page(service, "page_feedback_answer", "POST", answer_form(csrf), cookie=csrf, token=first)
    assert saved.status_code == 303
    again = page(service, "page_feedback_answer", "POST", answer_form(csrf, content_rating="1"), cookie=csrf,
                 token=first)
    assert again.status_code == 409 and "odpověď z tohoto odkazu už máme" in again.get_data(as_text=True)
    second = messaging.signed_token(KEY, "feedback", people[1]["id"])
    page(service, "page_feedback_answer", "POST", answer_form(csrf, content_rating="4", lecturer_rating="2",
                                                              comment=""), cookie=csrf, token=second)
    waiting = messaging.signed_token(KEY, "feedback", people[2]["id"])
    assert page(service, "page_feedback_answer", "POST", answer_form(csrf), cookie=csrf,
                token=waiting).status_code == 403

    results = service.feedback_results(event["id"])
    assert results == {"event_id": event["id"], "title": event["title"], "lecturer": "Ing. Eva Malá",
                       "requested": 2, "answers": 2,
                       "averages": {"content_rating": 4.5, "lecturer_rating": 3.0, "organisation_rating": 3.0},
                       "comments": ["Výborné, <b>díky</b>"]}
    assert service.feedback_by_lecturer() == [{"lecturer": "Ing. Eva Malá", "events": 1, "answers": 2, "averages": {
        "content_rating": 4.5, "lecturer_rating": 3.0, "organisation_rating": 3.0}}]
    csv = service.export_feedback(event["id"])
    assert csv.startswith("\ufeffOdpověď;Obsah;Lektor;Organizace;Komentář;Vyplněno\r\n")
    assert "1;5;4;3;Výborné, <b>díky</b>;8. 12. 2026 11:00\r\n2;4;2;3;;8. 12. 2026 11:00\r\n" in csv
    assert service.export_feedback_by_lecturer().endswith("Ing. Eva Malá;1;2;4,50;3,00;3,00\r\n")


def test_the_unique_key_keeps_one_answer_even_without_the_check(service):
    from services.registrations import store
    event, people = event_with_people(service)
    row = dict(registration_id=people[0]["id"], event_id=event["id"], lecturer="", content_rating=5,
               lecturer_rating=5, organisation_rating=5, comment="", answered_at=NOW)
    with service.database.transaction() as tx:
        assert store.add_feedback(tx, row) is True
        assert store.add_feedback(tx, dict(row, content_rating=1)) is False
        assert store.claim_follow_up(tx, people[0]["id"], "feedback", NOW) is True
        assert store.claim_follow_up(tx, people[0]["id"], "feedback", NOW) is False


def test_the_json_api_serves_attendees_their_materials_and_takes_one_answer(service):
    from tests.unit.registrations.test_service import call
    event, people = event_with_people(service)
    material = service.add_material(event["id"], "slides.pdf", b64(PDF))
    token = messaging.signed_token(KEY, "materials", people[0]["id"])
    status, body = call(service, "http_materials", method="GET", token=token)
    assert status == 200 and body["materials"][0]["url"] == f"https://akce.example/materials/{token}/{material['id']}"
    assert call(service, "http_materials", method="GET", token=token[:-1] + "x")[0] == 404
    status, body = call(service, "http_materials", method="GET",
                        token=messaging.signed_token(KEY, "materials", people[1]["id"]))
    assert (status, body["error"]) == (403, "not_an_attendee")

    link = messaging.signed_token(KEY, "feedback", people[0]["id"])
    answer = {"content_rating": 5, "lecturer_rating": 5, "organisation_rating": 4, "comment": ""}
    status, body = call(service, "http_feedback", body=dict(answer, content_rating=0), token=link)
    assert (status, body["fields"]) == (422, {"content_rating": "Vyberte hodnocení 1 až 5."})
    assert call(service, "http_feedback", body=answer, token=link) == (201, {"status": "saved"})
    status, body = call(service, "http_feedback", body=answer, token=link)
    assert (status, body["error"]) == (409, "feedback_already_given")
    assert call(service, "http_feedback", body=answer, token="1-forged")[0] == 404
    assert service.feedback_results(event["id"])["answers"] == 1


def test_materials_and_feedback_links_expire_with_a_czech_410_on_the_page_and_the_api(service):
    from tests.unit.registrations.test_service import call
    event, people = event_with_people(service)
    material = service.add_material(event["id"], "slides.pdf", b64(PDF))
    materials_link = messaging.signed_token(KEY, "materials", people[0]["id"])
    feedback_link = messaging.signed_token(KEY, "feedback", people[0]["id"])
    ends = NOW + timedelta(days=10, hours=4)  # published(): ten days ahead, four hours long
    service.clock_state["now"] = ends + timedelta(days=messaging.LINK_DAYS["feedback"] - 1)
    assert page(service, "page_feedback", token=feedback_link, cookie=_csrf_new(KEY)).status_code == 200
    assert page(service, "page_materials", token=materials_link).status_code == 200

    service.clock_state["now"] = ends + timedelta(days=messaging.LINK_DAYS["feedback"] + 1)
    expired = page(service, "page_feedback", token=feedback_link, cookie=_csrf_new(KEY))
    assert expired.status_code == 410 and "Odkaz už vypršel" in expired.get_data(as_text=True)
    csrf = _csrf_new(KEY)
    answered = page(service, "page_feedback_answer", "POST", answer_form(csrf), cookie=csrf, token=feedback_link)
    assert answered.status_code == 410 and "Odkaz už vypršel" in answered.get_data(as_text=True)
    answer = {"content_rating": 5, "lecturer_rating": 5, "organisation_rating": 4, "comment": ""}
    status, body = call(service, "http_feedback", body=answer, token=feedback_link)
    assert (status, body["error"]) == (410, "link_expired") and "vypršel" in body["message"]
    assert service.feedback_results(event["id"])["answers"] == 0
    assert page(service, "page_materials", token=materials_link).status_code == 200  # materials stay longer

    service.clock_state["now"] = ends + timedelta(days=messaging.LINK_DAYS["materials"] + 1)
    for handler, kwargs in (("page_materials", {}), ("page_material_file", {"material_id": material["id"]})):
        gone = page(service, handler, token=materials_link, **kwargs)
        assert gone.status_code == 410 and gone.get_data() != PDF
        assert "Odkaz už vypršel" in gone.get_data(as_text=True)
    status, body = call(service, "http_materials", method="GET", token=materials_link)
    assert (status, body["error"]) == (410, "link_expired") and "pořadateli" in body["message"]
    # a forged link stays a forged link
    assert call(service, "http_materials", method="GET", token=materials_link[:-1] + "x")[0] == 404


def test_the_link_lifetimes_are_settings():
    assert messaging.link_days({}, "materials") == messaging.LINK_DAYS["materials"]
    assert messaging.link_days({"MATERIALS_LINK_DAYS": "7", "FEEDBACK_LINK_DAYS": 3}, "materials") == 7
    assert messaging.link_days({"FEEDBACK_LINK_DAYS": 3}, "feedback") == 3


def test_the_openapi_document_lists_the_expired_link():
    from services.registrations import openapi
    paths = openapi.build("https://akce.example")["paths"]
    assert "410" in paths["/api/materials/{token}"]["get"]["responses"]
    assert "410" in paths["/api/feedback/{token}"]["post"]["responses"]
    assert "link_expired" in paths["/api/materials/{token}"]["get"]["responses"]["410"]["description"]
