"""Attendance and certificates through the console, with every service, the real broker and a real
SMTP server: nothing before the start, nothing mailed on marking, certificates only after the end
by "Vydat osvědčení", the unpaid one held until paid or released, attendance taken back only
before a certificate, and the certificate staff open is the one issued (a duplicate on purpose)."""
import re
import time

from services.common.schemas import without_diacritics
from tests.conftest import wait_for
from tests.helpers import pdf_attachment, pdf_text
from tests.integration.test_console import csrf_of, logged_in, whole_console  # noqa: F401 (a fixture)
from tests.integration.test_system import published_event
from tests.integration.timetravel import begun, ended

SUBJECT = "Osvědčení o absolvování: "


def certificates_to(sink):
    return sorted(m["To"] for m in sink.messages() if m["Subject"].startswith(SUBJECT))


def person(first, last):
    return {"first_name": first, "last_name": last, "email": f"{without_diacritics(first).lower()}@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True}


def test_certificates_wait_for_the_end_and_the_payment(whole_console, service_config):  # noqa: F811
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=5, accreditation_number="AK/PV-5/2026", hours=4)  # 900 Kč
    alena, bohumil, cyril = (cluster.registrations.register(event["id"], person(first, last)) for first, last in (
        ("Alena", "Malá"), ("Bohumil", "Řezáč"), ("Cyril", "Šťastný")))
    page_url = f"{base}/akce/{event['id']}"
    office = logged_in(base, "staff", secrets)

    # Before the start: nothing to tick, and the RPC refuses too.
    page = office.get(page_url)
    assert 'name="attended"' not in page.text and "Účast lze potvrdit až od začátku akce" in page.text
    early = office.post(f"{page_url}/ucast", data={"csrf": csrf_of(page), "attended": [alena["id"]],
                                                   "confirmed": "ano"})
    assert early.status_code == 409 and "Akce ještě nezačala" in early.text

    # It has begun: marking asks first, names the people, and sends nothing.
    begun(service_config, event["id"])
    page = office.get(page_url)
    assert f'name="attended" value="{alena["id"]}"' in page.text
    chosen = {"csrf": csrf_of(page), "attended": [alena["id"], bohumil["id"], cyril["id"]]}
    asked = office.post(f"{page_url}/ucast", data=chosen)
    assert "Potvrdit účast 3 osob: Alena Malá, Bohumil Řezáč, Cyril Šťastný?" in asked.text
    assert "Osvědčení se zatím neposílají" in asked.text
    assert cluster.registrations.get_registration(alena["id"])["attended_at"] is None  # only asked
    marked = office.post(f"{page_url}/ucast", data=dict(chosen, confirmed="ano"))
    assert "Účast potvrzena: Alena Malá, Bohumil Řezáč, Cyril Šťastný. Nic se neposílalo." in marked.text

    # Cyril was ticked by mistake: taken back, before any certificate.
    asked = office.post(f"{base}/prihlasky/{cyril['id']}/ucast/zrusit", data={"csrf": csrf_of(page)})
    assert "Zrušit potvrzenou účast: Cyril Šťastný?" in asked.text
    undone = office.post(f"{base}/prihlasky/{cyril['id']}/ucast/zrusit", data={"csrf": csrf_of(page),
                                                                             "confirmed": "ano"})
    assert "Účast zrušena: Cyril Šťastný." in undone.text
    assert cluster.registrations.get_registration(cyril["id"])["attended_at"] is None

    # Still running: no certificates yet.
    assert "Osvědčení lze vydat až po skončení akce" in undone.text and "Vydat osvědčení (" not in undone.text
    running = office.post(f"{page_url}/osvedceni", data={"csrf": csrf_of(page)})
    assert running.status_code == 409 and "Akce ještě neskončila" in running.text

    # Alena pays in cash; the event ends.
    wait_for(lambda: _paid(cluster, alena["id"]), timeout=60, message="Alena's payment recorded")
    ended(service_config, event["id"])
    page = office.get(page_url)
    assert "Vydat osvědčení (1)" in page.text and "čeká na platbu" in page.text
    refused = office.get(f"{base}/prihlasky/{bohumil['id']}/osvedceni.pdf")
    assert refused.status_code == 409 and "Osvědčení této osobě zatím nebylo vydáno" in refused.text
    asked = office.post(f"{page_url}/osvedceni", data={"csrf": csrf_of(page)})
    assert "Odeslat osvědčení 1 účastníkovi?" in asked.text and "Alena Malá" in asked.text
    assert "1 čeká na zaplacení: Bohumil Řezáč" in asked.text
    assert certificates_to(smtp_sink) == []  # nothing was mailed by marking, nor by asking
    issued = office.post(f"{page_url}/osvedceni", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert "Osvědčení odeslána 1 účastníkovi: Alena Malá. Na zaplacení čeká: Bohumil Řezáč." in issued.text
    wait_for(lambda: certificates_to(smtp_sink) == ["alena@obec.example"], timeout=60, message="Alena's certificate")
    [mailed] = [m for m in smtp_sink.messages() if m["Subject"].startswith(SUBJECT)]
    mailed_name, _ = pdf_attachment(mailed)

    # Issued: attendance stays; the certificate staff open is the one mailed.
    too_late = office.post(f"{base}/prihlasky/{alena['id']}/ucast/zrusit", data={"csrf": csrf_of(page),
                                                                               "confirmed": "ano"})
    assert too_late.status_code == 409 and "už má vydané osvědčení" in too_late.text
    page = office.get(page_url)
    number = re.search(r"osvědčení č\. (\d{4}/\d{4})", page.text).group(1)
    assert mailed_name == f"osvedceni-{number.replace('/', '-')}.pdf"
    opened = office.get(f"{base}/prihlasky/{alena['id']}/osvedceni.pdf")
    text = " ".join(pdf_text(opened.content).split())
    assert "Alena Malá" in text and number in text and "DUPLIKÁT" not in text
    asked = office.post(f"{base}/prihlasky/{alena['id']}/osvedceni/duplikat", data={"csrf": csrf_of(page)})
    assert "Vystavit duplikát osvědčení: Alena Malá?" in asked.text
    duplicate = office.post(f"{base}/prihlasky/{alena['id']}/osvedceni/duplikat",
                            data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert duplicate.headers["Content-Type"] == "application/pdf"
    assert "DUPLIKÁT vydaný" in " ".join(pdf_text(duplicate.content).split())

    # Bohumil has not paid: staff release his certificate, it goes at once (the others' went).
    asked = office.post(f"{base}/prihlasky/{bohumil['id']}/osvedceni/uvolnit", data={"csrf": csrf_of(page)})
    assert "Uvolnit osvědčení bez platby: Bohumil Řezáč?" in asked.text and "odejde e-mailem hned" in asked.text
    released = office.post(f"{base}/prihlasky/{bohumil['id']}/osvedceni/uvolnit",
                           data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert "Osvědčení uvolněno bez platby: Bohumil Řezáč. Osvědčení odešlo e-mailem." in released.text
    wait_for(lambda: certificates_to(smtp_sink) == ["alena@obec.example", "bohumil@obec.example"], timeout=60,
             message="Bohumil's certificate")
    assert cluster.registrations.get_registration(bohumil["id"])["certificate_released_by"] == "staff@smopk.example"
    again = office.post(f"{page_url}/osvedceni", data={"csrf": csrf_of(page)})
    assert "Není komu vydat osvědčení." in again.text
    time.sleep(2)  # a second certificate, were one due, would have gone by now
    assert certificates_to(smtp_sink) == ["alena@obec.example", "bohumil@obec.example"]

    audit = logged_in(base, "admin", secrets).get(f"{base}/audit").text
    for action in ("potvrzena účast", "zrušena potvrzená účast", "vydána osvědčení", "uvolněno osvědčení bez platby",
                   "vystaven duplikát osvědčení", "otevřeno osvědčení"):
        assert action in audit, action


def _paid(cluster, registration_id):
    """Pay in cash once payments has the request; then wait for registrations' copy."""
    if cluster.registrations.get_registration(registration_id)["paid_at"]:
        return True
    try:
        cluster.payments.mark_paid(registration_id, "cash")
    except Exception:  # the payment request is not there yet
        return False
    return False
