"""The public HTTP surface: the Czech pages without JavaScript, and hostile requests to the API."""
import json
import re

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.members.service import MembersService
from services.registrations.service import RegistrationsService
from tests.conftest import wait_for
from tests.integration.test_system import published_event


@pytest.fixture
def site(runner_factory, service_config, web_session):
    runner = runner_factory(service_config, RegistrationsService, MembersService)
    runner.start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        cluster.members.upsert_organisation({"ico": "00075370", "name": "Statutární město Plzeň",
                                             "district": "Plzeň-město", "member_since": "2005-01-01"})
        # registrations keeps its own copy of the register, from members' event: wait until it has
        # Plzeň, whose IČO the pages fill in for a typed name
        wait_for(lambda: cluster.registrations.organisation_training_record("00075370")["organisation"]["district"],
                 message="registrations' copy of the member register")
        event = published_event(cluster, capacity=1, topic="odpady")
        published_event(cluster, title="GDPR v obci", topic="GDPR", days=20, questions=[  # the API's answers
            {"id": "strava", "label": "Strava", "type": "choice", "options": ["běžná", "bezlepková"], "required": True},
            {"id": "dotaz", "label": "Dotaz na lektora", "type": "text"}])
        yield web_session, event, cluster


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_registering_through_the_pages(site):
    web, event, cluster = site
    listing = web.get("/")
    assert listing.status_code == 200 and "Odpady v obci: nový zákon" in listing.text and "GDPR v obci" in listing.text
    assert "volná místa: 1" in listing.text
    assert "GDPR v obci" not in web.get("/?tema=odpady").text
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"):
        assert header in listing.headers
    assert "frame-ancestors 'none'" in listing.headers["Content-Security-Policy"]

    form = web.get(f"/events/{event['id']}")
    token = csrf_of(form)
    wrong = web.post(f"/events/{event['id']}", data={"csrf": token, "first_name": "Jiří", "last_name": "",
                                                      "email": "spatne", "organisation_name": "<b>Obec</b>"})
    assert wrong.status_code == 422
    assert "Toto pole je povinné." in wrong.text and "Zadejte platnou e-mailovou adresu." in wrong.text
    assert "Bez souhlasu se zpracováním osobních údajů vás nemůžeme přihlásit." in wrong.text
    assert 'value="Jiří"' in wrong.text and "&lt;b&gt;Obec&lt;/b&gt;" in wrong.text  # kept, escaped
    assert cluster.registrations.list_registrations(event["id"]) == []

    forged = web.post(f"/events/{event['id']}", data={"csrf": "x.y", "first_name": "A", "last_name": "B",
                                                       "email": "a@b.cz", "organisation_name": "Obec",
                                                       "gdpr_consent": "ano"})
    assert forged.status_code == 403
    assert cluster.registrations.list_registrations(event["id"]) == []

    done = web.post(f"/events/{event['id']}", allow_redirects=False, data={
        "csrf": csrf_of(wrong), "first_name": "Jiří", "last_name": "Šťastný", "email": "jiri@plzen.example",
        "organisation_name": "Statutární město Plzeň", "organisation_ico": "00075370", "gdpr_consent": "ano"})
    assert done.status_code == 303
    manage = web.get(done.headers["Location"])
    assert "Děkujeme, jste přihlášeni" in manage.text and "Stáhnout vstupenku (PDF)" in manage.text
    [registration] = cluster.registrations.list_registrations(event["id"])
    assert registration["is_member"] is True

    again = web.post(f"/events/{event['id']}", data={
        "csrf": csrf_of(web.get(f"/events/{event['id']}")), "first_name": "Jiří", "last_name": "Šťastný",
        "email": "JIRI@plzen.example",
        "organisation_name": "Plzeň", "gdpr_consent": "ano"})
    assert again.status_code == 409 and "už jste na tuto akci přihlášeni" in again.text

    confirm = web.get(f"/r/{registration['token']}/zrusit")
    assert "Opravdu zrušit přihlášku?" in confirm.text
    cancelled = web.post(f"/r/{registration['token']}/zrusit", data={"csrf": csrf_of(confirm)})
    assert cancelled.status_code == 200 and "zrušeno" in cancelled.text
    assert web.get("/r/neexistuje").status_code == 404
    token = registration["token"]
    assert web.get(f"/r/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}").status_code == 404


LONG = "Ř" * 10000
def test_two_tabs_and_back_keep_one_csrf_token_per_browser(site):
    web, event, _ = site
    tabs = [web.get(f"/events/{event['id']}") for _ in range(2)]  # the second tab did not replace the first's
    assert csrf_of(tabs[0]) == csrf_of(tabs[1]) == web.cookies["csrf"]
    for n, tab in enumerate(tabs):
        answer = web.post(f"/events/{event['id']}", allow_redirects=False, data={
            "csrf": csrf_of(tab), "first_name": "Jana", "last_name": f"Kolegyně {n}", "email": f"jana{n}@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": "ano"})
        assert answer.status_code == 303, answer.text[:300]
    # a cookie not made by us is replaced, and a form posted with it refused
    stranger = requests.Session()
    fresh = stranger.get(tabs[0].url, cookies={"csrf": "forged.0000"})
    assert csrf_of(fresh) != "forged.0000" and "csrf=" in fresh.headers["Set-Cookie"]
    refused = requests.post(tabs[0].url, data={"csrf": "forged.0000", "first_name": "A", "last_name": "B",
                                               "email": "a@b.example", "organisation_name": "O", "gdpr_consent": "ano"},
                            cookies={"csrf": "forged.0000"})
    assert refused.status_code == 403


RTL = "\u202eevil\u202c"


def body(**overrides):
    data = {"first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.example",
            "organisation_name": "Obec", "gdpr_consent": True}
    data.update(overrides)
    return json.dumps(data).encode()


HOSTILE = [
    # (description, method, path, headers, raw body, expected status, expected code)
    ("invalid UTF-8", "POST", "/api/events/{id}/registrations", {}, b'{"first_name": "\xff\xfe"}', 400,
     "invalid_json"),
    ("1 MB body", "POST", "/api/events/{id}/registrations", {}, b'{"x": "' + b"a" * 1_000_000 + b'"}', 413,
     "payload_too_large"),
    ("deep nesting", "POST", "/api/events/{id}/registrations", {}, b"[" * 50000 + b"]" * 50000, 413,
     "payload_too_large"),
    ("nesting within the limit", "POST", "/api/events/{id}/registrations", {}, b"[" * 20000 + b"]" * 20000, 400,
     "invalid_json"),
    ("form instead of JSON", "POST", "/api/events/{id}/registrations",
     {"Content-Type": "application/x-www-form-urlencoded"}, b"first_name=Jana", 415, "unsupported_media_type"),
    ("text/plain", "POST", "/api/events/{id}/registrations", {"Content-Type": "text/plain"}, body(), 415,
     "unsupported_media_type"),
    ("no body", "POST", "/api/events/{id}/registrations", {}, b"", 400, "invalid_json"),
    ("a JSON list", "POST", "/api/events/{id}/registrations", {}, b"[]", 422, "validation_error"),
    ("10,000-character name", "POST", "/api/events/{id}/registrations", {}, body(first_name=LONG), 422,
     "validation_error"),
    ("unknown field", "POST", "/api/events/{id}/registrations", {}, body(is_admin=True), 422, "validation_error"),
    ("number as a name", "POST", "/api/events/{id}/registrations", {}, body(first_name=42), 422, "validation_error"),
    ("consent as a string", "POST", "/api/events/{id}/registrations", {}, body(gdpr_consent="yes"), 422,
     "validation_error"),
    ("consent as a number", "POST", "/api/events/{id}/registrations", {}, body(gdpr_consent=1), 422,
     "validation_error"),
    ("negative id", "POST", "/api/events/-1/registrations", {}, body(), 404, "not_found"),
    ("huge id", "GET", "/api/events/99999999999999999999", {}, None, 404, "not_found"),
    ("unknown event", "POST", "/api/events/2147483647/registrations", {}, body(), 404, "event_not_found"),
    ("SQL in the path", "GET", "/api/registrations/1'%20OR%20'1'='1", {}, None, 404, "registration_not_found"),
    ("another registration's token", "GET", "/api/registrations/{other_token}.", {}, None, 404,
     "registration_not_found"),
    ("wrong method", "DELETE", "/api/events", {}, None, 405, "method_not_allowed"),
    ("unknown API path", "GET", "/api/admin", {}, None, 404, "not_found"),
    ("bad idempotency key", "POST", "/api/events/{id}/registrations", {"Idempotency-Key": "k" * 500}, body(), 400,
     "invalid_idempotency_key"),
    ("a lone surrogate as a name", "POST", "/api/events/{id}/registrations", {}, body(first_name="\ud800"), 422,
     "validation_error"),
    ("NUL in a name", "POST", "/api/events/{id}/registrations", {}, body(last_name="A\x00B"), 422,
     "validation_error"),
    ("a name of zero-width spaces", "POST", "/api/events/{id}/registrations", {}, body(first_name="\u200b" * 3),
     422, "validation_error"),
    ("a bidi override in the organisation", "POST", "/api/events/{id}/registrations", {},
     body(organisation_name=RTL), 422, "validation_error"),
    ("metrics without the operator's token", "GET", "/metrics", {}, None, 404, "not_found"),
]


@pytest.mark.parametrize("description, method, path, headers, raw, status, code", HOSTILE,
                         ids=[case[0] for case in HOSTILE])
def test_hostile_requests_get_a_clear_4xx_and_change_nothing(site, description, method, path, headers, raw, status,
                                                             code):
    web, event, cluster = site
    other = cluster.registrations.register(event["id"], json.loads(body(email="other@obec.example")))
    before = cluster.registrations.list_registrations(event["id"])
    headers = {"Content-Type": "application/json", **headers}
    answer = web.request(method, path.format(id=event["id"], other_token=other["token"]), data=raw, headers=headers)
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"] == code and answer.json()["message"]
    if status == 405:
        assert "GET" in answer.headers["Allow"]
    assert cluster.registrations.list_registrations(event["id"]) == before


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "'; DROP TABLE registrations; --",
                                  '<img src="file:///etc/passwd">'])
def test_typed_text_is_stored_as_text_and_shown_escaped(site, text):
    web, event, cluster = site
    answer = web.post(f"/api/events/{event['id']}/registrations",
                      data=body(first_name=text, last_name=text, note=text, position=text, organisation_name=text),
                      headers={"Content-Type": "application/json"})
    assert answer.status_code == 201
    assert answer.json()["first_name"] == text
    page = web.get(f"/r/{answer.json()['token']}")
    assert "<script>alert" not in page.text and '<img src="file' not in page.text
    assert cluster.registrations.event_stats(event["id"])["confirmed"] == 1


NOT_TEXT = [
    # (description, field, value, Czech message)
    ("a lone surrogate", "first_name", "\ud800", "Text není platný v kódování UTF-8."),
    ("a lone surrogate in the note", "note", "ok \udfff", "Text není platný v kódování UTF-8."),
    ("NUL", "last_name", "Nová\x00ková", "Text obsahuje nepovolené řídicí znaky."),
    ("a bell", "position", "starosta\x07", "Text obsahuje nepovolené řídicí znaky."),
    ("a control character in the note", "note", "řádek\x1b[31m", "Text obsahuje nepovolené řídicí znaky."),
    ("a line break in a name", "first_name", "Jana\nMarie", "Text musí být na jednom řádku."),
    ("only zero-width characters", "first_name", "\u200b\u200c\u2060", "Jméno musí obsahovat viditelné znaky."),
    ("a bidi override", "last_name", RTL, "Jméno obsahuje znaky, které mění pořadí písmen."),
    ("a bidi isolate in the organisation", "organisation_name", "Obec \u2067Lhota\u2069",
     "Jméno obsahuje znaky, které mění pořadí písmen."),
]


@pytest.mark.parametrize("description, field, value, message", NOT_TEXT, ids=[case[0] for case in NOT_TEXT])
def test_what_is_not_text_is_refused_with_a_czech_field_message(site, description, field, value, message):
    web, event, cluster = site
    answer = web.post(f"/api/events/{event['id']}/registrations", data=body(**{field: value}),
                      headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"] == {field: message}
    assert cluster.registrations.list_registrations(event["id"]) == []


def test_names_are_kept_in_one_form_with_single_spaces(site):
    web, event, _ = site
    answer = web.post(f"/api/events/{event['id']}/registrations", data=body(
        first_name="  Jana \t Marie ", last_name="Nova\u0301kova\u0301", note="první řádek\n\tdruhý řádek"),
        headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    registration = answer.json()
    assert (registration["first_name"], registration["last_name"]) == ("Jana Marie", "Nováková")
    assert registration["note"] == "první řádek\n\tdruhý řádek"


def test_the_openapi_document_describes_the_api(site):
    web, event, _ = site
    document = web.get("/api/openapi.json").json()
    assert document["openapi"] == "3.0.3"
    assert {"/api/events", "/api/events/{event_id}/registrations", "/api/registrations/{token}/cancel",
            "/api/organisations"} <= set(document["paths"])
    request_schema = document["components"]["schemas"]["RegistrationRequest"]
    assert {"first_name", "last_name", "email", "gdpr_consent"} <= set(request_schema["required"])
    found = web.get("/api/organisations?q=plzen").json()
    assert found == {"organisations": [{"ico": "00075370", "name": "Statutární město Plzeň",
                                        "kind": "obec"}]}


@pytest.fixture
def limited(runner_factory, service_config, web_session):
    config = dict(service_config, RATE_LIMITS=True, RATE_LIMIT_PER_EMAIL=2, RATE_LIMIT_PER_ADDRESS=5)
    runner = runner_factory(config, RegistrationsService)
    runner.start()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield web_session, published_event(cluster, capacity=10), cluster


def test_registering_and_cancelling_are_limited_per_email_and_per_address(limited):
    web, event, cluster = limited
    url = f"/api/events/{event['id']}/registrations"
    stranger = json.loads(body(email="starosta@obec.example"))
    first = web.post(url, json=stranger)
    assert web.post(f"/api/registrations/{first.json()['token']}/cancel").status_code == 200
    again = web.post(url, json=stranger)  # a third email to the same address within the hour
    assert again.status_code == 429 and again.json()["error"] == "too_many_requests"
    assert again.json()["message"].startswith("Příliš mnoho požadavků")
    assert 3500 <= int(again.headers["Retry-After"]) <= 3600
    assert [r["status"] for r in cluster.registrations.list_registrations(event["id"])] == ["cancelled"]

    for n in (1, 2):  # the address has made 3 requests of 5
        assert web.post(url, json=json.loads(body(email=f"kolega{n}@obec.example"))).status_code == 201
    script = web.post(url, json=json.loads(body(email="skript@obec.example")))
    assert script.status_code == 429 and int(script.headers["Retry-After"]) <= 600
    form = web.get(f"/events/{event['id']}")
    page = web.post(f"/events/{event['id']}", data={
        "csrf": csrf_of(form), "first_name": "Jana", "last_name": "Formulářová", "email": "jana@obec.example",
        "organisation_name": "Obec", "gdpr_consent": "ano"})
    assert page.status_code == 429 and "Příliš mnoho požadavků" in page.text and 'value="Formulářová"' in page.text
    assert len(cluster.registrations.list_registrations(event["id"])) == 3


def test_the_privacy_page_says_what_is_kept_how_long_and_how_to_ask_for_erasure(site):
    web, _, _ = site
    page = web.get("/ochrana-osobnich-udaju")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "do 3 let po skončení akce" in text and "90 dní" in text and "30 dní" in text
    assert "výmaz" in text and "seminare@smopk.example" in text


def test_registering_colleagues_through_the_pages(site):
    web, event, cluster = site
    assert f"/events/{event['id']}/kolegove" in web.get(f"/events/{event['id']}").text
    form = web.get(f"/events/{event['id']}/kolegove")
    assert form.status_code == 200 and 'name="a4_email"' in form.text and 'name="a5_email"' not in form.text
    assert 'name="a9_email"' in web.get(f"/events/{event['id']}/kolegove?osob=10").text
    registrant = {"csrf": csrf_of(form), "first_name": "Eva", "last_name": "Tajemnice", "email": "eva@plzen.example",
                  "organisation_name": "Plzeň", "gdpr_consent": "ano"}

    wrong = web.post(f"/events/{event['id']}/kolegove", data=dict(
        registrant, a0_first_name="Jan", a0_last_name="Novák", a0_email="jan@plzen.example",
        a2_first_name="<b>Věra</b>", a2_last_name="", a2_email="vera"))  # row 2, the second attendee
    assert wrong.status_code == 422
    assert re.search(r'id="a2_email-error">Zadejte platnou e-mailovou adresu', wrong.text)
    assert re.search(r'id="a2_last_name-error">', wrong.text) and 'id="a0_email-error"' not in wrong.text
    assert 'value="jan@plzen.example"' in wrong.text and "&lt;b&gt;Věra&lt;/b&gt;" in wrong.text
    empty = web.post(f"/events/{event['id']}/kolegove", data=registrant)
    assert empty.status_code == 422 and "Vyplňte alespoň jednoho účastníka." in empty.text
    assert cluster.registrations.list_registrations(event["id"]) == []

    done = web.post(f"/events/{event['id']}/kolegove", data=dict(
        registrant, a0_first_name="Jan", a0_last_name="Novák", a0_email="jan@plzen.example",
        a3_first_name="Věra", a3_last_name="Malá", a3_email="vera@plzen.example"))
    assert done.status_code == 200 and "kolegové jsou přihlášeni" in done.text
    registrations = cluster.registrations.list_registrations(event["id"])
    assert [(r["email"], r["status"], r["organisation_ico"]) for r in registrations] == [
        ("jan@plzen.example", "confirmed", "00075370"), ("vera@plzen.example", "waitlisted", "00075370")]
    for registration in registrations:
        assert registration["manage_url"] in done.text
    again = web.post(f"/events/{event['id']}/kolegove", data=dict(
        registrant, csrf=csrf_of(web.get(f"/events/{event['id']}/kolegove")), a0_first_name="Jan",
        a0_last_name="Novák", a0_email="JAN@plzen.example"))
    assert again.status_code == 409 and 'id="a0_email-error"' in again.text
    assert "Jan Novák (JAN@plzen.example) už je na tuto akci přihlášen/a." in again.text
