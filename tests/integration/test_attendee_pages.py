"""The attendee's pages as a person meets them (issue 31): addresses the mail servers would refuse,
error summaries that lead to each field, the waitlist said on a full event's form, the manage
page's calendar entry and what it offers after the event began, and the payment details to copy."""
import re
from datetime import datetime

import vobject
from nameko.standalone.rpc import ClusterRpcProxy

from services.registrations import messaging
from tests.conftest import wait_for
from tests.integration.test_system import ALL, published_event, seminar
from tests.integration.test_web import csrf_of, site  # noqa: F401 (a fixture)
from tests.integration.timetravel import begun, ended

KEY = b"test-signing-key"  # service_config's TICKET_SIGNING_KEY

ACCENTED = "dvořák@nyrany.example"
LOCAL_PART = ("Adresa nesmí mít před zavináčem písmena s diakritikou: poštovní servery mnoha úřadů takovou "
              "adresu nepřijmou a e-mail by nedošel. Zadejte ji bez háčků a čárek, například dvorak@nyrany.example.")
DOMAIN = ("Název domény za zavináčem nesmí obsahovat písmena s diakritikou (domény .cz je nemají) a e-mail by "
          "nedošel. Zkontrolujte adresu, například dvorak@nyrany.example.")


def applicant(**overrides):
    return dict({"first_name": "Petr", "last_name": "Dvořák", "email": "petr@nyrany.example",
                 "organisation_name": "Obec Nýřany", "gdpr_consent": True}, **overrides)


def test_an_address_with_accents_is_refused_on_every_form_and_in_the_api_with_why(site):  # noqa: F811
    web, event, cluster = site
    form = web.get(f"/events/{event['id']}")
    refused = web.post(f"/events/{event['id']}", data={
        "csrf": csrf_of(form), "first_name": "Petr", "last_name": "Dvořák", "email": ACCENTED,
        "organisation_name": "Obec Nýřany", "gdpr_consent": "ano"})
    assert refused.status_code == 422
    assert f'<p class="error" id="email-error">{LOCAL_PART}</p>' in refused.text
    assert f'value="{ACCENTED}"' in refused.text  # kept to be corrected

    colleagues = web.get(f"/events/{event['id']}/kolegove")
    refused = web.post(f"/events/{event['id']}/kolegove", data={
        "csrf": csrf_of(colleagues), "first_name": "Eva", "last_name": "Tajemnice", "email": "eva@nyrany.example",
        "organisation_name": "Obec Nýřany", "gdpr_consent": "ano", "a0_first_name": "Jan",
        "a0_last_name": "Novák", "a0_email": "jan@nyrany.example", "a1_first_name": "Petr",
        "a1_last_name": "Dvořák", "a1_email": ACCENTED})
    assert refused.status_code == 422
    assert f'<p class="error" id="a1_email-error">{LOCAL_PART}</p>' in refused.text
    assert 'id="a0_email-error"' not in refused.text

    api = web.post(f"/api/events/{event['id']}/registrations", json=applicant(email=ACCENTED))
    assert api.status_code == 422 and api.json()["error"] == "validation_error"
    assert api.json()["fields"] == {"email": LOCAL_PART}
    idn = web.post(f"/api/events/{event['id']}/registrations", json=applicant(email="dvorak@nýrany.example"))
    assert idn.status_code == 422 and idn.json()["fields"] == {"email": DOMAIN}
    group = web.post(f"/api/events/{event['id']}/group-registrations", json={
        "registrant": {"first_name": "Eva", "last_name": "Tajemnice", "email": "eva@nyrany.example"},
        "organisation_name": "Obec Nýřany", "gdpr_consent": True,
        "attendees": [{"first_name": "Petr", "last_name": "Dvořák", "email": ACCENTED}]})
    assert group.status_code == 422 and group.json()["fields"] == {"attendees.0.email": LOCAL_PART}
    assert cluster.registrations.list_registrations(event["id"]) == []  # nothing written

    holder = web.post(f"/api/events/{event['id']}/registrations", json=applicant()).json()
    substitute = web.get(f"/r/{holder['token']}/nahradnik")
    refused = web.post(f"/r/{holder['token']}/nahradnik", data={
        "csrf": csrf_of(substitute), "first_name": "Petr", "last_name": "Dvořák", "email": ACCENTED,
        "gdpr_consent": "ano"})
    assert refused.status_code == 422 and f'id="email-error">{LOCAL_PART}</p>' in refused.text
    api = web.post(f"/api/registrations/{holder['token']}/substitute", json={
        "first_name": "Petr", "last_name": "Dvořák", "email": ACCENTED, "gdpr_consent": True})
    assert api.status_code == 422 and api.json()["fields"] == {"email": LOCAL_PART}
    [kept] = cluster.registrations.list_registrations(event["id"])
    assert (kept["email"], kept["status"]) == ("petr@nyrany.example", "confirmed")  # not handed over

    fine = web.post(f"/api/events/{event['id']}/registrations",
                    json=applicant(first_name="Jana", email="dvorak@nyrany.example"))
    assert fine.status_code == 201, fine.text  # the suggested form goes through


def summary_links(page):
    """The error summary's links as ``(target id, text)``, checking that it takes the focus and
    that each link leads to an element of the page."""
    found = re.search(r'<div class="error-summary" id="chyby" role="alert" tabindex="-1" autofocus[^>]*>(.*?)</div>',
                      page.text, re.S)
    assert found, "no error summary that takes the focus"
    links = [(target, " ".join(text.split())) for target, text in re.findall(r'<a href="#([^"]+)">([^<]+)</a>',
                                                                              found.group(1))]
    for target, _text in links:
        assert f'id="{target}"' in page.text, f"the summary links to #{target}, which is not on the page"
    return links


def test_the_error_summary_links_each_wrong_field_and_takes_the_focus_on_every_form(site, service_config):  # noqa: F811
    web, event, cluster = site
    questions = [{"id": "strava", "label": "Strava", "type": "choice", "options": ["běžná", "bezlepková"],
                  "required": True}]
    asking = cluster.registrations.publish_event(cluster.registrations.create_event(
        seminar(title="Kronika obce", questions=questions))["id"])
    form = web.get(f"/events/{asking['id']}")
    assert 'class="error-summary"' not in form.text  # nothing to say before the first try
    wrong = web.post(f"/events/{asking['id']}", data={"csrf": csrf_of(form), "first_name": "Jiří", "email": "spatne",
                                                       "organisation_name": "Obec Nýřany"})
    assert wrong.status_code == 422
    assert summary_links(wrong) == [
        ("last_name", "Příjmení: Toto pole je povinné."),
        ("email", "E-mail: Zadejte platnou e-mailovou adresu."),
        ("q_strava-1", "Strava: Odpovězte prosím na tuto otázku."),
        ("gdpr_consent", "Souhlas se zpracováním osobních údajů: Bez souhlasu se zpracováním osobních údajů vás "
                         "nemůžeme přihlásit.")]
    assert cluster.registrations.list_registrations(asking["id"]) == []

    colleagues = web.get(f"/events/{event['id']}/kolegove")
    wrong = web.post(f"/events/{event['id']}/kolegove", data={
        "csrf": csrf_of(colleagues), "first_name": "Eva", "last_name": "Tajemnice", "email": "eva@nyrany.example",
        "organisation_name": "Obec Nýřany", "a0_first_name": "Jan", "a0_last_name": "Novák",
        "a0_email": "jan@nyrany.example", "a2_first_name": "Věra", "a2_email": "vera"})
    assert wrong.status_code == 422
    assert summary_links(wrong) == [
        ("a2_last_name", "Účastník 3: příjmení: Délka musí být 1 až 100 znaků."),
        ("a2_email", "Účastník 3: e-mail: Zadejte platnou e-mailovou adresu."),
        ("gdpr_consent", "Souhlas se zpracováním osobních údajů: Bez souhlasu se zpracováním osobních údajů vás "
                         "nemůžeme přihlásit.")]

    holder = web.post(f"/api/events/{event['id']}/registrations", json=applicant()).json()
    substitute = web.get(f"/r/{holder['token']}/nahradnik")
    wrong = web.post(f"/r/{holder['token']}/nahradnik", data={"csrf": csrf_of(substitute), "first_name": "Petr",
                                                              "last_name": "Dvořák", "email": "petr@nyrany.cz"})
    assert wrong.status_code == 422
    assert summary_links(wrong) == [
        ("gdpr_consent", "Souhlas náhradníka se zpracováním osobních údajů: Bez souhlasu se zpracováním osobních "
                         "údajů náhradníka nemůžeme přihlásit.")]
    assert cluster.registrations.list_registrations(event["id"])[0]["status"] == "confirmed"

    begun(service_config, event["id"])  # the questionnaire is for those who came
    cluster.registrations.mark_attendance(event["id"], [holder["id"]])
    link = f"/feedback/{messaging.signed_token(KEY, 'feedback', holder['id'])}"
    questionnaire = web.get(link)
    assert questionnaire.status_code == 200, questionnaire.text
    wrong = web.post(link, data={"csrf": csrf_of(questionnaire), "content_rating": "5", "lecturer_rating": "9"})
    assert wrong.status_code == 422
    assert [target for target, _text in summary_links(wrong)] == ["lecturer_rating-1", "organisation_rating-1"]


def test_a_full_event_says_the_form_joins_the_waitlist_and_its_button_says_so(site):  # noqa: F811
    web, event, cluster = site  # one seat
    form = web.get(f"/events/{event['id']}")
    assert ">Odeslat přihlášku</button>" in form.text and "čekací listinu</button>" not in form.text
    assert "Kdo se nevejde mezi volná místa (1), bude zapsán na čekací listinu." in \
        web.get(f"/events/{event['id']}/kolegove").text
    assert web.post(f"/api/events/{event['id']}/registrations", json=applicant()).json()["status"] == "confirmed"

    full = web.get(f"/events/{event['id']}")
    assert re.search(r'<p class="notice waitlist-note" id="cekaci-listina">Akce je plně obsazena\. Tímto formulářem '
                     r'se zapíšete\s+na čekací listinu', full.text)
    assert re.search(r'<button type="submit"\s*aria-describedby="cekaci-listina">Zapsat se na čekací listinu</button>',
                     full.text) and "Odeslat přihlášku" not in full.text
    colleagues = web.get(f"/events/{event['id']}/kolegove").text
    assert "Tímto formulářem zapíšete\n  kolegy na čekací listinu" in colleagues
    assert ">Zapsat kolegy na čekací listinu</button>" in colleagues and ">Přihlásit kolegy</button>" not in colleagues

    joined = web.post(f"/events/{event['id']}", data={
        "csrf": csrf_of(full), "first_name": "Jana", "last_name": "Dvořáková", "email": "jana@nyrany.example",
        "organisation_name": "Obec Nýřany", "gdpr_consent": "ano"})
    assert joined.status_code == 200 and "Jste na čekací listině" in joined.text and "Jste 1. v pořadí" in joined.text


def test_the_manage_page_adds_the_seat_to_a_calendar_and_offers_nothing_the_server_would_refuse(
        site, service_config):  # noqa: F811
    web, event, cluster = site  # one seat, in ten days
    seat = web.post(f"/api/events/{event['id']}/registrations", json=applicant()).json()
    waiting = web.post(f"/api/events/{event['id']}/registrations",
                       json=applicant(first_name="Jana", email="jana@nyrany.example")).json()
    manage = web.get(f"/r/{seat['token']}").text
    assert f'<a href="/r/{seat["token"]}/kalendar.ics" download>Přidat do kalendáře</a>' in manage
    assert "Předat místo kolegovi" in manage and "Zrušit přihlášku" in manage

    download = web.get(f"/r/{seat['token']}/kalendar.ics")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/calendar; method=PUBLISH; charset=utf-8"
    assert download.headers["Content-Disposition"] == f'attachment; filename="akce-{event["id"]}.ics"'
    parsed = vobject.readOne(download.content.decode())  # a second parser than the one that wrote it
    assert parsed.method.value == "PUBLISH"  # nobody is asked to accept or decline
    [entry] = parsed.vevent_list
    assert entry.uid.value == f"prihlaska-{seat['id']}@smopk.example"  # the emailed entry's UID
    assert entry.summary.value == event["title"] and entry.location.value == event["venue"]
    assert entry.dtstart.value == datetime.fromisoformat(event["starts_at"])
    assert not hasattr(entry, "attendee") and seat["manage_url"] in entry.description.value

    assert "Přidat do kalendáře" not in web.get(f"/r/{waiting['token']}").text
    refused = web.get(f"/r/{waiting['token']}/kalendar.ics")
    assert refused.status_code == 409 and "Do kalendáře lze přidat jen potvrzenou přihlášku." in refused.text

    csrf = csrf_of(web.get(f"/r/{seat['token']}/nahradnik"))  # the form as it was opened before the start
    begun(service_config, event["id"])  # attendance can be marked from the start on
    cluster.registrations.mark_attendance(event["id"], [seat["id"]])
    manage = web.get(f"/r/{seat['token']}").text
    assert "Přidat do kalendáře" in manage  # still running
    assert "Předat místo" not in manage and "Zrušit přihlášku" not in manage and "/zrusit" not in manage
    for path, message in ((f"/r/{seat['token']}/zrusit", "Akce už začala, přihlášku nelze zrušit."),
                          (f"/r/{seat['token']}/nahradnik", "Akce už začala, místo nelze předat náhradníkovi.")):
        shown = web.get(path)
        assert shown.status_code == 409 and message in shown.text, path
    cancelled = web.post(f"/r/{seat['token']}/zrusit", data={"csrf": csrf})
    assert cancelled.status_code == 409 and "Akce už začala, přihlášku nelze zrušit." in cancelled.text
    handed = web.post(f"/r/{seat['token']}/nahradnik", data={
        "csrf": csrf, "first_name": "Petr", "last_name": "Novák", "email": "novak@nyrany.example",
        "gdpr_consent": "ano"})
    assert handed.status_code == 409 and "Akce už začala, místo nelze předat náhradníkovi." in handed.text
    api = web.post(f"/api/registrations/{seat['token']}/cancel")
    assert api.status_code == 409 and api.json()["error"] == "too_late"
    assert "Zrušit přihlášku" not in web.get(f"/r/{waiting['token']}").text  # the waitlist too
    assert cluster.registrations.get_registration(seat["id"])["status"] == "confirmed"

    ended(service_config, event["id"])
    assert "Přidat do kalendáře" not in web.get(f"/r/{seat['token']}").text
    over = web.get(f"/r/{seat['token']}/kalendar.ics")
    assert over.status_code == 409 and "Akce už skončila." in over.text


def test_the_payment_details_can_be_copied_on_the_phone_that_would_have_to_scan_the_code(
        runner_factory, service_config, web_session):
    runner_factory(service_config, *ALL).start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = published_event(cluster)  # 900 Kč for a non-member
    seat = web_session.post(f"/api/events/{event['id']}/registrations", json=applicant()).json()
    payment = wait_for(lambda: web_session.get(f"/api/registrations/{seat['token']}").json()["payment"],
                       message="the payment request")
    page = web_session.get(f"/r/{seat['token']}")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script: the CSP would block it
    assert '<script src="/static/copy.js"></script>' in page.text

    def offered(name):
        """The value shown (plain text to select, without JavaScript too) and what its button copies."""
        found = re.search(rf'<span class="copy-value" id="{name}">([^<]+)</span>\s*<button type="button" class="copy" '
                          rf'data-copy="([^"]+)" data-copy-of="{name}" aria-describedby="{name}" hidden>Kopírovat'
                          rf'</button>', page.text)
        assert found, f"no {name} to copy"
        return found.groups()

    assert offered("castka") == ("900,00\xa0Kč", "900")  # the amount as the page shows it, as a bank's form takes it
    assert offered("ucet") == ("19-2000145399/0800", "19-2000145399/0800")
    assert offered("iban") == (payment["iban"], payment["iban"].replace(" ", ""))
    assert offered("vs") == (payment["variable_symbol"], payment["variable_symbol"])
    caption = " ".join(re.search(r"<figcaption>(.*?)</figcaption>", page.text, re.S).group(1).split())
    assert caption.startswith("QR Platba je pro jiné zařízení") and "„načíst z obrázku“" in caption

    script = web_session.get("/static/copy.js")
    assert script.status_code == 200 and script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "navigator.clipboard.writeText" in script.text and "button.hidden = false" in script.text
