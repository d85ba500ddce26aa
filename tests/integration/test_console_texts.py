"""The texts of the emails and of the certificate edited in the console: a refusal in Czech, a
preview with a real registration that sends nothing (the certificate's a PDF that takes no
number), a save that the next email or certificate carries (the earlier one keeping its words),
and the way back to the default, asked first."""
import lxml.html

from tests.conftest import wait_for
from tests.helpers import pdf_text
from tests.integration.test_console import csrf_of, logged_in, whole_console  # noqa: F401 (a fixture)
from tests.integration.test_console_payments import confirm_on, visible
from tests.integration.test_system import published_event

KEY = "registration_confirmed"
NEW = ("{{ greeting(registration.first_name, registration.last_name) }}\n\n"
       "máte místo na akci {{ event.title }}. NOVÉ ZNĚNÍ KANCELÁŘE.\n\n"
       "{% include \"_facts.txt\" %}\n{% include \"_payment.txt\" %}\n"
       "Přihláška: {{ registration.manage_url }}")


def _register(cluster, event, first, last, email):
    return cluster.registrations.register(event["id"], {
        "first_name": first, "last_name": last, "email": email, "organisation_name": "Obec Chotěšov",
        "gdpr_consent": True})


def test_the_office_edits_previews_saves_and_reverts_an_email_text(whole_console):  # noqa: F811
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=5, price_non_member=0)
    first = _register(cluster, event, "Žaneta", "Čermáková", "zaneta@obec.example")
    smtp_sink.wait_for_messages(1)
    admin = logged_in(base, "admin", secrets)
    assert admin.get(f"{base}/texty").status_code == 200
    assert logged_in(base, "staff", secrets).get(f"{base}/texty/{KEY}").status_code == 403
    form = admin.get(f"{base}/texty/{KEY}")
    assert "registration.manage_url" in form.text or "manage_url" in form.text
    token = csrf_of(form)

    refused = admin.post(f"{base}/texty/{KEY}", data={"csrf": token, "body": "Dobrý den {{ jmeno }}",
                                                       "action": "ulozit"})
    assert refused.status_code == 422 and "Neznámé proměnné: jmeno." in visible(refused)
    broken = admin.post(f"{base}/texty/{KEY}", data={"csrf": token, "body": "a\n{% if event.title %}",
                                                      "action": "ulozit"})
    assert broken.status_code == 422 and "Chyba v textu na řádku 2" in visible(broken)

    preview = admin.post(f"{base}/texty/{KEY}", data={"csrf": token, "body": NEW, "action": "nahled",
                                                       "registration_id": str(first["id"])})
    assert preview.status_code == 200
    [shown] = lxml.html.fromstring(preview.text).xpath("//article[@class='preview']//pre")
    assert "Dobrý den, paní Čermáková," in shown.text_content() and "NOVÉ ZNĚNÍ KANCELÁŘE" in shown.text_content()
    assert first["manage_url"] in shown.text_content()
    missing = admin.post(f"{base}/texty/{KEY}", data={"csrf": token, "body": NEW, "action": "nahled",
                                                       "registration_id": "999999"})
    assert missing.status_code == 422 and "Přihláška číslo 999999 neexistuje." in visible(missing)

    saved = admin.post(f"{base}/texty/{KEY}", data={"csrf": token, "body": NEW, "action": "ulozit"})
    assert "je uložen jako verze 1" in visible(saved)
    assert len(smtp_sink.messages()) == 1  # neither the preview nor the save sent anything
    _register(cluster, event, "Adam", "Šimek", "adam@obec.example")
    smtp_sink.wait_for_messages(2)
    emails = {m["To"]: m for m in smtp_sink.messages()}
    adam = emails["adam@obec.example"]
    assert "NOVÉ ZNĚNÍ KANCELÁŘE" in adam.get_body(("plain",)).get_content()
    assert "NOVÉ ZNĚNÍ KANCELÁŘE" in adam.get_body(("html",)).get_content()
    assert "NOVÉ ZNĚNÍ" not in emails["zaneta@obec.example"].get_body(("plain",)).get_content()
    assert "admin@smopk.example" in visible(admin.get(f"{base}/texty/{KEY}"))  # the history: who

    asked = admin.post(f"{base}/texty/{KEY}/vychozi", data={"csrf": token})
    assert "Vrátit e-mailu „potvrzení přihlášky“ výchozí text?" in visible(asked)
    assert cluster.notifications.get_text(KEY)["own"] is True  # asked, not yet done
    reverted = confirm_on(admin, base, asked)
    assert "má znovu výchozí text (zapsáno jako verze 2)" in visible(reverted)
    _register(cluster, event, "Cyril", "Cibulka", "cyril@obec.example")
    wait_for(lambda: len(smtp_sink.messages()) == 3, message="the third confirmation")
    cyril = {m["To"]: m for m in smtp_sink.messages()}["cyril@obec.example"]
    assert "NOVÉ ZNĚNÍ" not in cyril.get_body(("plain",)).get_content()
    assert "děkujeme za přihlášku" in cyril.get_body(("plain",)).get_content()


CERTIFICATE = ('Potvrzujeme, že\n{% include "_holder" %}\núspěšně absolvoval(a) NOVÉ ZNĚNÍ OSVĚDČENÍ\n'
               '{% include "_programme" %}\n{% include "_facts" %}\nv rozsahu {{ hours | teaching_hours }}.')


def _words(response):
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf", response.text
    return " ".join(pdf_text(response.content).split())


def test_the_office_edits_previews_saves_and_reverts_the_certificate_text(whole_console,  # noqa: F811
                                                                          service_config):
    from tests.integration.timetravel import begun, ended
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=5, accreditation_number="AK/PV-9/2026", hours=4, price_non_member=0)
    first = _register(cluster, event, "Žaneta", "Čermáková", "zaneta@obec.example")
    second = _register(cluster, event, "Adam", "Šimek", "adam@obec.example")
    smtp_sink.wait_for_messages(2)
    admin = logged_in(base, "admin", secrets)
    assert "Osvědčení" in visible(admin.get(f"{base}/texty"))
    assert logged_in(base, "staff", secrets).get(f"{base}/texty/certificate").status_code == 403
    form = admin.get(f"{base}/texty/certificate")
    assert form.status_code == 200 and "číslo osvědčení (2026/0001)" in visible(form)
    assert '{% include "_holder" %}' in visible(form)
    token = csrf_of(form)

    # The first certificate is issued (and numbered, mailed) before any text is saved.
    begun(service_config, event["id"])
    cluster.registrations.mark_attendance(event["id"], [first["id"]])
    ended(service_config, event["id"])
    cluster.registrations.issue_certificates(event["id"])
    smtp_sink.wait_for_messages(3)

    refused = admin.post(f"{base}/texty/certificate", data={
        "csrf": token, "body": 'Osvědčujeme {% include "_holder" %}', "action": "ulozit"})
    assert refused.status_code == 422 and 'obsahovat {% include "_programme" %} právě jednou' in visible(refused)
    preview = admin.post(f"{base}/texty/certificate", data={
        "csrf": token, "body": CERTIFICATE, "action": "nahled", "registration_id": str(second["id"])})
    shown = _words(preview)
    assert "UKÁZKA" in shown and "Potvrzujeme, že Adam Šimek" in shown and "v rozsahu 4 vyučovací hodiny." in shown
    assert "inline" in preview.headers["Content-Disposition"]
    assert cluster.documents.certificate_numbers([second["id"]]) == []  # the preview took no number

    saved = admin.post(f"{base}/texty/certificate", data={"csrf": token, "body": CERTIFICATE, "action": "ulozit"})
    assert "Text osvědčení je uložen jako verze 1" in visible(saved)
    cluster.registrations.mark_attendance(event["id"], [second["id"]])
    cluster.registrations.issue_certificates(event["id"])
    smtp_sink.wait_for_messages(4)
    office = logged_in(base, "staff", secrets)
    old = _words(office.get(f"{base}/prihlasky/{first['id']}/osvedceni.pdf"))
    new = _words(office.get(f"{base}/prihlasky/{second['id']}/osvedceni.pdf"))
    assert "Osvědčuje se, že Žaneta Čermáková" in old and "NOVÉ ZNĚNÍ" not in old
    assert "Potvrzujeme, že Adam Šimek" in new and "NOVÉ ZNĚNÍ OSVĚDČENÍ" in new and "AK/PV-9/2026" in new

    asked = admin.post(f"{base}/texty/certificate/vychozi", data={"csrf": token})
    assert "Vrátit osvědčení výchozí text?" in visible(asked)
    assert cluster.documents.get_text("certificate")["own"] is True  # asked, not yet done
    reverted = confirm_on(admin, base, asked)
    assert "Osvědčení má znovu výchozí text (zapsáno jako verze 2)." in visible(reverted)
    assert "NOVÉ ZNĚNÍ OSVĚDČENÍ" in _words(office.get(f"{base}/prihlasky/{second['id']}/osvedceni.pdf"))
    audit = visible(admin.get(f"{base}/audit"))
    assert "uložen text osvědčení" in audit and "vrácen výchozí text osvědčení" in audit
