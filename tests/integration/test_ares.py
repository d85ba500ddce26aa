"""The registration form's fill by IČO over HTTP, with members asking a local ARES stand-in:
found, not found, bad input, errors and time-outs; and registering never waits on any of it."""
import time

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.members.service import MembersService
from services.registrations.service import RegistrationsService
from tests.ares_standin import PRAHA, AresStandIn
from tests.integration.test_system import published_event
from tests.integration.test_web import csrf_of


@pytest.fixture
def ares():
    with AresStandIn(PRAHA) as stand_in:
        yield stand_in


@pytest.fixture
def site(runner_factory, service_config, web_session, ares):
    config = dict(service_config, ARES_URL=ares.url)
    runner = runner_factory(config, RegistrationsService, MembersService)
    runner.start()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        cluster.members.upsert_organisation({"ico": "00075370", "name": "Statutární město Plzeň",
                                             "district": "Plzeň-město", "address": "náměstí Republiky 1, 301 00 Plzeň",
                                             "member_since": "2005-01-01"})
        yield web_session, published_event(cluster, capacity=10), cluster


def test_an_ico_fills_the_form_from_the_register_or_ares_and_is_kept(site, ares):
    web, _event, cluster = site
    member = web.get("/api/organisations/00075370")
    assert member.status_code == 200
    assert member.json() == {"ico": "00075370", "status": "found", "source": "register",
                             "name": "Statutární město Plzeň", "address": "náměstí Republiky 1, 301 00 Plzeň",
                             "dic": None, "message": None}
    assert ares.requests == []

    outsider = web.get("/api/organisations/00064581")
    assert outsider.json() == {"ico": "00064581", "status": "found", "source": "ares", "name": "Hlavní město Praha",
                               "address": "Mariánské náměstí 2/2, Staré Město, 110 00 Praha 1", "dic": "CZ00064581",
                               "message": None}
    assert web.get("/api/organisations/00064581").json()["name"] == "Hlavní město Praha"
    assert len(ares.requests) == 1  # the second came from members' database
    # the staff shell's call gives the same, with when ARES was asked
    assert cluster.members.lookup_organisation("00064581")["fetched_at"]

    unknown = web.get("/api/organisations/27074358")
    assert unknown.json()["status"] == "not_found"
    assert unknown.json()["message"] == "Organizace s IČO 27074358 není v evidenci sdružení ani v registru ARES."

    for bad in ("1234", "00064582", "abcdefgh"):
        refused = web.get(f"/api/organisations/{bad}")
        assert refused.status_code == 422
        assert refused.json()["error"] == "validation_error" and "ico" in refused.json()["fields"]
    assert len(ares.requests) == 2


@pytest.mark.parametrize("failure", ["error", "slow", "down"])
def test_ares_failing_is_a_quick_unavailable_answer(site, ares, failure):
    web, _event, _cluster = site
    if failure == "error":
        ares.fail_next(500)
    elif failure == "slow":
        ares.slow = 10
    else:
        ares.stop()
    started = time.monotonic()
    answer = web.get("/api/organisations/00064581")
    assert time.monotonic() - started < 2.5  # ARES gets 1.5 s, the page's call to members 2 s
    assert answer.status_code == 200
    assert answer.json()["status"] == "unavailable"
    assert answer.json()["name"] is None
    assert "ARES" in answer.json()["message"] and answer.json()["message"].endswith("Vyplňte prosím údaje sami.")


def test_registering_does_not_wait_for_a_slow_ares(site, ares):
    web, event, cluster = site
    ares.slow = 10
    lookup = eventlet.spawn(web.get, "/api/organisations/00064581")  # the page's script, at the same time
    eventlet.sleep(0.1)
    started = time.monotonic()
    answer = web.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Petr", "last_name": "Pražák", "email": "petr@praha.example",
        "organisation_ico": "00064581", "organisation_name": "Hlavní město Praha", "gdpr_consent": True})
    took = time.monotonic() - started
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "confirmed" and answer.json()["is_member"] is False
    assert took < 1.0, f"registering took {took:.2f} s"
    assert lookup.wait().json()["status"] == "unavailable"
    assert len(ares.requests) == 1  # the lookup's; registering asked nothing


def test_registering_through_the_page_while_ares_is_down(site, ares):
    web, event, cluster = site
    ares.stop()
    form = web.get(f"/events/{event['id']}")
    assert '<script src="/static/organisation_lookup.js"></script>' in form.text
    script = web.get("/static/organisation_lookup.js")
    assert script.status_code == 200 and "/api/organisations/" in script.text
    assert web.get("/api/organisations/00064581").json()["status"] == "unavailable"
    done = web.post(f"/events/{event['id']}", allow_redirects=False, data={
        "csrf": csrf_of(form), "first_name": "Eva", "last_name": "Pražská", "email": "eva@praha.example",
        "organisation_name": "Hlavní město Praha", "organisation_ico": "00064581", "gdpr_consent": "ano"})
    assert done.status_code == 303, done.text[:300]
    [registration] = cluster.registrations.list_registrations(event["id"])
    assert registration["organisation_ico"] == "00064581" and registration["status"] == "confirmed"


def test_members_away_is_unavailable_too_and_lookups_are_rate_limited(runner_factory, service_config, web_session):
    config = dict(service_config, RATE_LIMITS=True, RATE_LIMIT_PER_ADDRESS=3)
    runner_factory(config, RegistrationsService).start()  # members is not running
    for _ in range(3):
        answer = web_session.get("/api/organisations/00064581")
        assert answer.status_code == 200
        assert answer.json() == {"ico": "00064581", "status": "unavailable", "source": None, "name": None,
                                 "address": None, "dic": None,
                                 "message": "Údaje o organizaci teď nemůžeme dohledat. Vyplňte prosím název sami."}
    refused = web_session.get("/api/organisations/00064581")
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
