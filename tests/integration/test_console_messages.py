"""Messages to an event's people and announcements to members: the preview is made for a real
person of the chosen audience, the count of recipients is asked before sending, and a greeting
staff typed is not doubled by the email's own."""
import lxml.html

from tests.conftest import wait_for
from tests.integration.test_console import csrf_of, logged_in, whole_console  # noqa: F401 (a fixture)
from tests.integration.test_console_payments import confirm_on, visible
from tests.integration.test_system import published_event


def test_a_message_is_previewed_for_a_real_recipient_and_counted_before_it_goes(whole_console):  # noqa: F811
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=2, price_non_member=0)
    people = [cluster.registrations.register(event["id"], {
        "first_name": first, "last_name": last, "email": f"{first[0].lower()}{len(last)}@obec.example",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": True}) for first, last in (
        ("Adam", "Adámek"), ("Božena", "Bílá"), ("Cyril", "Cibulka"))]
    cluster.registrations.cancel_registration(people[0]["id"])  # Adam: cancelled, Cyril's seat now
    wait_for(lambda: cluster.registrations.get_registration(people[2]["id"])["status"] == "confirmed",
             message="Cyril moved up")
    office = logged_in(base, "staff", secrets)
    token = csrf_of(office.get(f"{base}/akce/{event['id']}"))
    draft = {"csrf": token, "subject": "Parkování", "audience": "confirmed",
             "text": "Dobrý den,\n\nparkujte prosím za budovou."}
    preview = office.post(f"{base}/akce/{event['id']}/zprava", data=draft)
    said = visible(preview)
    assert f"Odeslat zprávu 2 účastníkům akce {event['title']}?" in said
    assert "Dostanou ji (jen potvrzeným): Božena Bílá, Cyril Cibulka." in said
    assert "Dobrý den, paní Bílá," in said and "Adam" not in said  # a real, confirmed person
    assert "Vaše úvodní oslovení „Dobrý den,“ jsme vynechali" in said
    [email] = lxml.html.fromstring(preview.text).xpath("//article[@class='preview']//pre")
    assert email.text_content().count("Dobrý den") == 1  # the email's own greeting, not staff's too
    assert "E-mail začíná oslovením" in said  # the form says so before anyone types
    sent = confirm_on(office, base, preview)
    assert "Zpráva „Parkování“ odchází 2 účastníkům (postupně)." in visible(sent)
    wait_for(lambda: len([m for m in smtp_sink.messages() if m["Subject"] == "Parkování"]) == 2, timeout=60,
             message="two messages")
    [bozena] = [m for m in smtp_sink.messages() if m["Subject"] == "Parkování" and m["To"] == "b4@obec.example"]
    body = bozena.get_body(("plain",)).get_content()
    assert body.count("Dobrý den") == 1 and "parkujte prosím za budovou." in body

    nobody = office.post(f"{base}/akce/{event['id']}/zprava", data=dict(draft, audience="waitlisted"))
    assert nobody.status_code == 422 and "zpráva by nešla nikomu" in nobody.text
