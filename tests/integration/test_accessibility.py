"""The accessibility statement (/pristupnost, zákon č. 99/2019 Sb.): its sections as the decree asks,
the office's days and contact from the settings, and the link to it from every kind of public page."""
import re

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.registrations.service import RegistrationsService
from tests.integration.test_system import published_event

SECTIONS = ("Stav souladu", "Nepřístupný obsah", "Nesoulad se zákonem č. 99/2019 Sb.", "Nepřiměřená zátěž",
            "Obsah mimo rozsah zákona", "Vypracování tohoto prohlášení", "Zpětná vazba a kontaktní údaje",
            "Postup pro prosazování práva")
FOOTER_LINK = '<a href="/pristupnost">Prohlášení o přístupnosti</a>'


def headings(html):
    return [" ".join(re.sub(r"<[^>]+>", "", heading).split())
            for heading in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, re.S)]


def footer(html):
    return re.search(r'<footer class="site">(.*?)</footer>', html, re.S).group(1)


@pytest.fixture
def office_site(runner_factory, service_config, web_session):
    """The site as the office configured it: its contact, and the days of a review written the Czech way."""
    config = dict(service_config, ORGANISER_CONTACT="pristupnost@smopk.example, tel. 377 123 456",
                  ACCESSIBILITY_STATEMENT_PREPARED_ON="2026-12-07", ACCESSIBILITY_STATEMENT_REVIEWED_ON="15. 3. 2027")
    runner_factory(config, RegistrationsService).start()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield web_session, cluster


def test_the_statement_has_each_section_the_decree_asks_for_with_the_offices_days_and_contact(office_site):
    web, _ = office_site
    page = web.get("/pristupnost")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    shown = headings(page.text)
    assert shown[0] == "Prohlášení o přístupnosti"
    assert [section for section in SECTIONS if section not in shown] == []
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "Sdružení měst a obcí Plzeňského kraje" in text and "zákonem č. 99/2019 Sb." in text
    assert "částečně v souladu" in text and "ČSN EN 301 549" in text and "WCAG 2.1" in text
    assert "Dokumenty PDF" in text and "PDF/UA" in text  # WeasyPrint writes them untagged
    assert "vypracováno dne 7. 12. 2026" in text and "naposledy přezkoumáno dne 15. 3. 2027" in text
    assert "vlastního posouzení" in text and "axe-core" in text and "klávesnicí" in text and "390 pixelů" in text
    assert "pristupnost@smopk.example, tel. 377 123 456" in text and "Kopeckého sady 11, 301 00 Plzeň" in text
    assert "Digitální a informační agentura" in text
    assert FOOTER_LINK in footer(page.text)


def test_a_day_the_office_mistyped_or_left_empty_is_said_on_the_page_not_a_500(runner_factory, service_config,
                                                                                web_session):
    config = dict(service_config, ACCESSIBILITY_STATEMENT_PREPARED_ON="7.12.2026",
                  ACCESSIBILITY_STATEMENT_REVIEWED_ON="<b>v prosinci</b>")
    runner_factory(config, RegistrationsService).start()
    page = web_session.get("/pristupnost")
    assert page.status_code == 200
    assert "vypracováno dne 7. 12. 2026" in page.text
    assert "přezkoumáno dne &lt;b&gt;v prosinci&lt;/b&gt;" in page.text  # as typed, escaped


def test_by_default_the_statement_says_it_was_not_reviewed_yet(runner_factory, service_config, web_session):
    runner_factory(service_config, RegistrationsService).start()
    text = " ".join(web_session.get("/pristupnost").text.split())
    assert "vypracováno dne 7. 12. 2026" in text and "zatím nebylo přezkoumáno" in text
    assert "seminare@smopk.example, tel. 377 000 000" in text


def test_every_kind_of_public_page_links_to_the_statement_from_its_footer(office_site):
    web, cluster = office_site
    event = published_event(cluster, price_member=0, price_non_member=0)
    registration = cluster.registrations.register(event["id"], {
        "first_name": "Jana", "last_name": "Přístupná", "email": "jana.pristupna@obec.example",
        "organisation_name": "Obec Tlučná", "gdpr_consent": True})
    pages = {
        "list": "/", "event": f"/events/{event['id']}", "thank-you": f"/r/{registration['token']}?nova=1",
        "manage": f"/r/{registration['token']}", "cancel": f"/r/{registration['token']}/zrusit",
        "municipality login": "/obec", "privacy": "/ochrana-osobnich-udaju", "statement": "/pristupnost",
        "not found": "/neni-tu",
    }
    for kind, path in pages.items():
        page = web.get(path)
        assert page.status_code == (404 if kind == "not found" else 200), (kind, page.status_code)
        assert FOOTER_LINK in footer(page.text), kind
    assert "Děkujeme, jste přihlášeni" in web.get(pages["thank-you"]).text
