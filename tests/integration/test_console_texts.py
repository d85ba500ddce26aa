"""The texts of the emails edited in the console: a refusal in Czech, a preview with a real
registration that sends nothing, a save that the next email carries through the real SMTP sink
(the earlier one keeping its words), and the way back to the default, asked first."""
import lxml.html

from tests.conftest import wait_for
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
