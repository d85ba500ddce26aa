"""The municipality's page: the rules of its login links and sessions, and the use cases that
keep them (a real database, the real outbox writer)."""
from datetime import timedelta

import pytest

from services.common.unit_of_work import UnitOfWork
from services.registrations import domain, store, usecases
from tests.unit.registrations.test_service import NOW, person, published

CONTACT = {"ico": "00256129", "organisation_name": "Obec Dobřany", "contact_id": 7, "first_name": "Eva",
           "last_name": "Nováková"}


def link_row(**overrides):
    return dict({"used_at": None, "expires_at": NOW + timedelta(minutes=30)}, **overrides)


def test_a_link_is_valid_once_and_for_30_minutes():
    assert domain.portal_link_expires(NOW) == NOW + timedelta(minutes=30)
    assert domain.portal_link_state(link_row(), NOW) == "valid"
    assert domain.portal_link_state(link_row(), NOW + timedelta(minutes=29, seconds=59)) == "valid"
    assert domain.portal_link_state(link_row(), NOW + timedelta(minutes=30)) == "expired"
    assert domain.portal_link_state(link_row(used_at=NOW), NOW) == "used"
    assert domain.portal_link_state(None, NOW) == "unknown"


def test_a_session_lasts_8_hours_unless_ended():
    session = {"ended_at": None, "expires_at": domain.portal_session_expires(NOW)}
    assert domain.portal_session_valid(session, NOW + timedelta(hours=7, minutes=59))
    assert not domain.portal_session_valid(session, NOW + timedelta(hours=8))
    assert not domain.portal_session_valid(dict(session, ended_at=NOW), NOW)
    assert not domain.portal_session_valid(None, NOW)


def test_secrets_are_stored_as_their_sha256_only():
    assert domain.portal_secret_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert domain.portal_secret_hash("abc") != domain.portal_secret_hash("abd")


def test_hours_count_as_days_at_the_setting_rounded_down_and_against_the_18_days():
    assert domain.training_days(16, 8) == 2
    assert domain.training_days(15, 8) == 1.8  # 1.875 shown as 1.8: never more than attended
    assert domain.training_days(15, 7.5) == 2
    people = [{"first_name": "Eva", "last_name": "Nová", "email": "eva@obec.example", "hours": 150,
               "trainings": [{}] * 19},
              {"first_name": "Jan", "last_name": "Malý", "email": "jan@obec.example", "hours": 36, "trainings": [{}]}]
    plan = domain.training_plan(people, 8)
    assert [(p["days"], p["missing_days"], p["met"]) for p in plan] == [(18.7, 0, True), (4.5, 13.5, False)]
    with pytest.raises(ValueError):
        domain.training_days(8, 0)


def test_the_period_is_three_calendar_years_and_the_choices_end_this_year():
    assert domain.training_period(2024) == (2024, 2026)
    assert domain.training_period_choices(NOW)[:3] == [2026, 2025, 2024]


def test_only_a_registration_made_with_the_ico_is_the_organisations():
    assert domain.portal_may_open({"organisation_ico": "00256129"}, "00256129")
    assert not domain.portal_may_open({"organisation_ico": "00257974"}, "00256129")
    assert not domain.portal_may_open({"organisation_ico": None}, "")


def test_a_link_asked_for_stores_its_hash_and_tells_notifications_the_link(service):
    with service.database.transaction() as tx:
        link_id = usecases.ask_portal_link(UnitOfWork(tx, NOW, service.outbox, "https://akce.example"), CONTACT,
                                           "eva@dobrany.example")
    [(kind, payload)] = [(k, p) for k, p in service.recorded() if k == "portal_link_requested"]
    assert payload["link_id"] == link_id and payload["email"] == "eva@dobrany.example"
    secret = payload["url"].removeprefix("https://akce.example/obec/prihlaseni/")
    assert len(secret) >= 40
    with service.database.transaction() as tx:
        [row] = tx.execute(store.portal_links.select()).mappings().all()
    assert row["token_hash"] == domain.portal_secret_hash(secret) and secret not in str(dict(row))
    assert (row["ico"], row["expires_at"]) == ("00256129", NOW + timedelta(minutes=30))


def ask(service, now=NOW):
    with service.database.transaction() as tx:
        usecases.ask_portal_link(UnitOfWork(tx, now, service.outbox, "https://akce.example"), CONTACT,
                                 "eva@dobrany.example")
    payload = [p for k, p in service.recorded() if k == "portal_link_requested"][-1]
    return payload["url"].rsplit("/", 1)[1]


def test_a_link_logs_in_once_records_the_login_and_opens_a_session_until_logout(service):
    secret = ask(service)
    with service.database.transaction() as tx:
        assert usecases.portal_link_state(tx, secret, NOW) == "valid"  # looking does not use it up
        state, session_secret = usecases.portal_log_in(UnitOfWork(tx, NOW + timedelta(minutes=5)), secret)
    assert state == "valid" and session_secret
    with service.database.transaction() as tx:
        assert usecases.portal_log_in(UnitOfWork(tx, NOW + timedelta(minutes=6)), secret) == ("used", None)
        session = usecases.portal_session(tx, session_secret, NOW + timedelta(hours=1))
        assert (session["ico"], session["email"]) == ("00256129", "eva@dobrany.example")
        assert usecases.portal_session(tx, session_secret, NOW + timedelta(hours=8, minutes=5)) is None
        assert usecases.portal_session(tx, "guessed", NOW) is None
        assert usecases.portal_logins(tx, "00256129") == [
            {"logged_in_at": "2026-11-27T11:05:00+01:00", "email": "eva@dobrany.example"}]
        stored = tx.execute(store.portal_sessions.select()).mappings().one()
        assert stored["session_hash"] == domain.portal_secret_hash(session_secret)
        usecases.portal_log_out(UnitOfWork(tx, NOW + timedelta(hours=1)), session_secret)
    with service.database.transaction() as tx:
        assert usecases.portal_session(tx, session_secret, NOW + timedelta(hours=1)) is None


def test_an_expired_or_unknown_link_opens_nothing_and_records_no_login(service):
    secret = ask(service)
    with service.database.transaction() as tx:
        assert usecases.portal_log_in(UnitOfWork(tx, NOW + timedelta(minutes=31)), secret) == ("expired", None)
        assert usecases.portal_log_in(UnitOfWork(tx, NOW), "x" * 43) == ("unknown", None)
        assert usecases.portal_logins(tx, "00256129") == []
        assert tx.execute(store.portal_sessions.select()).first() is None


def test_the_organisation_sees_only_registrations_made_with_its_ico(service):
    event = published(service)
    service.register(event["id"], person(1, organisation_ico="00256129", organisation_name="Obec Dobřany"))
    service.register(event["id"], person(2, organisation_ico="00257974", organisation_name="Obec Chotěšov"))
    with service.database.transaction() as tx:
        found = usecases.organisation_registrations(tx, "00256129", NOW, "https://akce.example")
        assert [r["organisation_ico"] for r in found["upcoming"]] == ["00256129"] and found["past"] == []
        other = [r for r in store.registrations_of_organisation(tx, "00257974")][0]
        with pytest.raises(domain.PortalForbidden):
            usecases.organisation_registration(tx, "00256129", other["id"], NOW, "https://akce.example")


def test_links_and_sessions_expired_for_a_day_are_deleted_and_the_logins_kept(service):
    secret = ask(service)
    ask(service, now=NOW + timedelta(hours=20))
    with service.database.transaction() as tx:
        usecases.portal_log_in(UnitOfWork(tx, NOW + timedelta(minutes=1)), secret)
    with service.database.transaction() as tx:
        assert usecases.forget_portal_secrets(UnitOfWork(tx, NOW + timedelta(hours=33))) == 2  # a link, the session
    with service.database.transaction() as tx:
        assert usecases.forget_portal_secrets(UnitOfWork(tx, NOW + timedelta(days=2))) == 1  # the second link
        assert len(usecases.portal_logins(tx, "00256129")) == 1


def test_erasing_a_person_deletes_their_links_and_sessions_and_keeps_logins_without_the_address(service):
    secret = ask(service)
    ask(service)  # a second link, never used
    with service.database.transaction() as tx:
        usecases.portal_log_in(UnitOfWork(tx, NOW + timedelta(minutes=1)), secret)
    erased = service.erase_person("Eva@Dobrany.example")
    assert erased["portal_records_erased"] == 4  # two links, the session, the login's address
    with service.database.transaction() as tx:
        assert tx.execute(store.portal_links.select()).first() is None
        assert tx.execute(store.portal_sessions.select()).first() is None
        [login] = usecases.portal_logins(tx, "00256129")
    assert "dobrany" not in login["email"]
