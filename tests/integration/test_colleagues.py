"""Several colleagues registered in one API call, with the real services, broker and SMTP server."""
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.registrations.service import RegistrationsService
from tests.helpers import pdf_attachment, pdf_text, ticket_codes
from tests.integration.test_system import cluster, published_event  # noqa: F401 (a fixture)


def body_text(message):
    return message.get_body(("plain",)).get_content()


def test_colleagues_over_http_each_get_a_ticket_and_the_registrant_one_summary(
        runner_factory, service_config, cluster, web_session, smtp_sink):  # noqa: F811
    runner = runner_factory(service_config, MembersService, RegistrationsService, NotificationsService,
                            DocumentsService)
    runner.start()
    event = published_event(cluster, capacity=2, price_non_member=0, max_per_organisation=3)  # free: no payments
    attendees = [{"first_name": "Jiří", "last_name": "Šťastný", "email": "jiri@chotesov.example"},
                 {"first_name": "Věra", "last_name": "<b>Malá</b>", "email": "vera@chotesov.example"},
                 {"first_name": "Ota", "last_name": "Řezníček", "email": "ota@chotesov.example"}]
    request = {"registrant": {"first_name": "Eva", "last_name": "Tajemnice", "email": "eva@chotesov.example"},
               "organisation_name": "Obec Chotěšov", "gdpr_consent": True, "attendees": attendees}

    bad = dict(request, attendees=[attendees[0], dict(attendees[1], email="vera")])
    refused = web_session.post(f"/api/events/{event['id']}/group-registrations", json=bad)
    assert refused.status_code == 422 and refused.json()["fields"] == {
        "attendees.1.email": "Zadejte platnou e-mailovou adresu."}

    answer = web_session.post(f"/api/events/{event['id']}/group-registrations", json=request,
                              headers={"Idempotency-Key": "chotesov-1"})
    assert answer.status_code == 201, answer.text
    registrations = answer.json()["registrations"]
    assert [r["status"] for r in registrations] == ["confirmed", "confirmed", "waitlisted"]
    again = web_session.post(f"/api/events/{event['id']}/group-registrations", json=request,
                             headers={"Idempotency-Key": "chotesov-1"})
    assert again.status_code == 201 and again.json() == answer.json()
    over = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Jan", "last_name": "Navíc", "email": "jan@chotesov.example",
        "organisation_name": "CHOTĚŠOV", "gdpr_consent": True})
    assert (over.status_code, over.json()["error"]) == (409, "organisation_limit_reached")

    messages = smtp_sink.wait_for_messages(4, timeout=60)
    by_recipient = {m["To"]: m for m in messages}
    assert sorted(by_recipient) == sorted(["eva@chotesov.example"] + [a["email"] for a in attendees])
    for registration in registrations[:2]:
        confirmation = by_recipient[registration["email"]]
        assert confirmation["Subject"].startswith("Potvrzení přihlášky")
        _filename, pdf = pdf_attachment(confirmation)
        assert ticket_codes(pdf) == [registration["ticket_code"]]
        assert registration["last_name"] in pdf_text(pdf)
    waiting = by_recipient["ota@chotesov.example"]
    assert waiting["Subject"].startswith("Jste na čekací listině") and "1. v pořadí" in body_text(waiting)

    summary = by_recipient["eva@chotesov.example"]
    assert summary["Subject"] == "Přihlášení kolegové: Odpady v obci: nový zákon"
    text, html = body_text(summary), summary.get_body(("html",)).get_content()
    for registration in registrations:
        assert registration["manage_url"] in text and registration["manage_url"] in html
    assert "Ota Řezníček (ota@chotesov.example): čekací listina, 1. v pořadí" in text
    assert "&lt;b&gt;Malá&lt;/b&gt;" in html and "<b>Malá</b>" not in html
    assert not list(summary.iter_attachments())
    assert len(smtp_sink.messages()) == 4  # the replayed request sent nothing more
