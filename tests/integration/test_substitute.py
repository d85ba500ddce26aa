"""A seat handed to a substitute, and an online event's link, through the running services: the
API and the public pages, the emails read back from a real SMTP server, the ticket's QR code, the
payment request that follows the seat, the door and the staff console."""
from services.payments.domain import registration_vs
from tests.conftest import wait_for
from tests.helpers import pdf_attachment, pdf_text, ticket_codes
from tests.integration.test_console import csrf_of, logged_in, whole_console  # noqa: F401
from tests.integration.test_system import seminar

WEBINAR = "https://meet.example.cz/smopk-odpady?pwd=Tajne123"


def person(first, last, email):
    return {"first_name": first, "last_name": last, "email": email, "organisation_name": "Obec Chotěšov",
            "gdpr_consent": True}


def colleague(email):
    """The substitute, as the registrant types them: the organisation stays the seat's."""
    return {"first_name": "Petr", "last_name": "Dvořák", "email": email, "gdpr_consent": True}


def by_subject(sink, start):
    """The emails whose subject starts so, once there is one."""
    return wait_for(lambda: [m for m in sink.messages() if str(m["Subject"]).startswith(start)],
                    message=f"an email '{start}…'")


def test_a_seat_handed_to_a_substitute_and_the_link_of_an_online_event(whole_console, web_session):  # noqa: F811
    base, cluster, secrets, sink = whole_console
    event = cluster.registrations.create_event(seminar(days=1, capacity=1, format="hybrid",
                                                       webinar_url=WEBINAR))
    event = cluster.registrations.publish_event(event["id"])
    assert event["webinar_url"] == WEBINAR  # staff see it

    jana = web_session.post(f"/api/events/{event['id']}/registrations",
                            json=person("Jana", "Nováková", "jana@obec.example")).json()
    karel = web_session.post(f"/api/events/{event['id']}/registrations",
                             json=person("Karel", "Veselý", "karel@obec.example")).json()
    assert (jana["status"], karel["status"]) == ("confirmed", "waitlisted")

    # The link: in the confirmed person's email and page only, never public.
    [confirmation] = by_subject(sink, "Potvrzení přihlášky")
    assert WEBINAR in confirmation.get_body(("plain",)).get_content()
    assert "hybridně" in confirmation.get_body(("plain",)).get_content()
    [waiting] = by_subject(sink, "Jste na čekací listině")
    assert "meet.example.cz" not in waiting.get_body(("plain",)).get_content()
    public = [web_session.get("/api/events").text, web_session.get(f"/api/events/{event['id']}").text,
              web_session.get("/").text, web_session.get(f"/events/{event['id']}").text,
              web_session.get(f"/r/{karel['token']}").text, web_session.get("/api/openapi.json").text]
    assert not any("meet.example.cz" in text for text in public)
    assert "hybridně" in public[3]
    assert WEBINAR.replace("&", "&amp;") in web_session.get(f"/r/{jana['token']}").text

    # Jana hands her seat to Petr through the API.
    refused = web_session.post(f"/api/registrations/{jana['token']}/substitute",
                               json=colleague("karel@obec.example"))
    assert refused.status_code == 409 and refused.json()["error"] == "already_registered"
    answer = web_session.post(f"/api/registrations/{jana['token']}/substitute",
                              json=dict(colleague("petr@obec.example"), position="referent"))
    assert answer.status_code == 201, answer.text
    petr = answer.json()
    assert petr["status"] == "confirmed" and petr["substitute_for"] == jana["id"] and petr["token"] != jana["token"]
    assert petr["webinar_url"] == WEBINAR
    assert web_session.get(f"/api/events/{event['id']}").json()["seats_left"] == 0
    assert cluster.registrations.get_registration(karel["id"])["status"] == "waitlisted"  # nobody moved

    [welcome] = by_subject(sink, "Jste přihlášeni místo kolegy")
    assert welcome["To"] == "petr@obec.example"
    plain = welcome.get_body(("plain",)).get_content()
    assert "Jana Nováková vám předal(a) své místo" in plain and WEBINAR in plain and petr["manage_url"] in plain
    filename, pdf = pdf_attachment(welcome)
    assert filename == f"vstupenka-{petr['id']}.pdf" and "Petr Dvořák" in pdf_text(pdf)
    assert ticket_codes(pdf) == [petr["ticket_code"]]
    [notice] = by_subject(sink, "Místo předáno náhradníkovi")
    assert notice["To"] == "jana@obec.example"
    plain = notice.get_body(("plain",)).get_content()
    assert "Petr Dvořák" in plain and "přestala platit" in plain and "meet.example.cz" not in plain

    # The fee went with the seat: Jana's variable symbol now pays Petr's seat.
    moved = wait_for(lambda: _payment_of(cluster, petr["id"]), message="the payment request moved to Petr")
    assert moved["variable_symbol"] == registration_vs(jana["id"]) and moved["owed_halere"] == 90000
    assert _payment_of(cluster, jana["id"]) is None
    assert web_session.get(f"/api/registrations/{petr['token']}").json()["payment"]["variable_symbol"] == \
        registration_vs(jana["id"])

    # At the door: Jana's ticket is refused, Petr's admitted.
    door = logged_in(base, "door", secrets)
    page = door.get(f"{base}/vstup/{event['id']}")
    old = door.post(f"{base}/vstup/{event['id']}", data={"csrf": csrf_of(page), "code": jana["ticket_code"]})
    assert old.status_code == 409 and "Místo bylo předáno náhradníkovi" in old.text
    new = door.post(f"{base}/vstup/{event['id']}", data={"csrf": csrf_of(page), "code": petr["ticket_code"],
                                                         "confirmed": "ano"})  # yes, though days ahead
    assert "Vstup povolen: Petr Dvořák" in new.text

    # Staff cannot hand on a seat already used; the console shows what happened.
    office = logged_in(base, "staff", secrets)
    listing = office.get(f"{base}/akce/{event['id']}")
    assert "předáno náhradníkovi" in listing.text
    form = office.get(f"{base}/prihlasky/{petr['id']}/nahradnik")
    used = office.post(f"{base}/prihlasky/{petr['id']}/nahradnik", data={
        "csrf": csrf_of(form), "first_name": "Eva", "last_name": "Malá", "email": "eva@obec.example",
        "gdpr_consent": "ano", "confirmed": "ano"})
    assert used.status_code == 409 and "odbaven" in used.text and 'value="Eva"' in used.text


def _payment_of(cluster, registration_id):
    try:
        return cluster.payments.payment_of(registration_id)
    except Exception:
        return None


def test_staff_hand_a_seat_over_in_the_console(whole_console):  # noqa: F811
    base, cluster, secrets, sink = whole_console
    office = logged_in(base, "staff", secrets)
    form = office.get(f"{base}/akce/nova")
    created = office.post(f"{base}/akce/nova", data={
        "csrf": csrf_of(form), "title": "GDPR v obci online", "kind": "seminar", "topic": "GDPR",
        "venue": "", "format": "online", "webinar_url": "https://meet.example.cz/gdpr", "starts": "2026-12-30T09:00",
        "ends": "2026-12-30T11:00", "capacity": "5", "price_member": "0", "price_non_member": "0",
        "waitlist_enabled": "ano"})
    assert created.status_code == 200, created.text[:400]
    event_id = int(created.url.rsplit("/", 1)[1])
    made = cluster.registrations.get_event(event_id)
    assert (made["format"], made["venue"], made["webinar_url"]) == ("online", "Online", "https://meet.example.cz/gdpr")
    office.post(f"{base}/akce/{event_id}/zverejnit", data={"csrf": csrf_of(created), "confirmed": "ano"})
    jana = cluster.registrations.register(event_id, person("Jana", "Nováková", "jana@obec.example"))

    page = office.get(f"{base}/akce/{event_id}")
    assert f"/prihlasky/{jana['id']}/nahradnik" in page.text
    form = office.get(f"{base}/prihlasky/{jana['id']}/nahradnik")
    invalid = office.post(f"{base}/prihlasky/{jana['id']}/nahradnik", data={
        "csrf": csrf_of(form), "first_name": "Petr", "email": "petr@"})
    assert invalid.status_code == 422 and "Vyplňte prosím příjmení náhradníka." in invalid.text
    invalid = office.post(f"{base}/prihlasky/{jana['id']}/nahradnik", data={
        "csrf": csrf_of(form), "first_name": "Petr", "email": "petr@", "confirmed": "ano"})
    assert invalid.status_code == 422 and "Toto pole je povinné." in invalid.text  # the service's own check
    fields = {"csrf": csrf_of(form), "first_name": "Petr", "last_name": "Dvořák", "email": "petr@obec.example",
              "gdpr_consent": "ano"}
    asked = office.post(f"{base}/prihlasky/{jana['id']}/nahradnik", data=fields)
    assert "Předat místo: Jana Nováková → Petr Dvořák?" in asked.text and "nelze vzít zpět" in asked.text
    assert cluster.registrations.get_registration(jana["id"])["status"] == "confirmed"
    done = office.post(f"{base}/prihlasky/{jana['id']}/nahradnik", data=dict(fields, confirmed="ano"))
    assert done.status_code == 200 and done.url.endswith(f"/akce/{event_id}")
    assert "Místo předáno: Jana Nováková → Petr Dvořák." in done.text
    assert "Dvořák Petr" in done.text and "předáno náhradníkovi" in done.text
    [petr] = cluster.registrations.list_registrations(event_id, "confirmed")
    assert petr["substitute_for"] == jana["id"]
    messages = sink.wait_for_messages(3)
    assert {m["To"] for m in messages} == {"jana@obec.example", "petr@obec.example"}
    assert "místo předáno náhradníkovi" in logged_in(base, "admin", secrets).get(f"{base}/audit").text
