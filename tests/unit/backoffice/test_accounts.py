"""Accounts, logging in and sessions of the console, on its real database."""
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from services.backoffice import store, usecases
from services.common.errors import Conflict, ValidationError
from services.common.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(make_database):
    return make_database("backoffice", store.metadata)


def test_the_first_administrator_is_made_once_with_a_one_time_password(db):
    with db.transaction() as tx:
        account, password = usecases.bootstrap_admin(UnitOfWork(tx, NOW), "Spravce@Smopk.example")
        assert usecases.bootstrap_admin(UnitOfWork(tx, NOW), "jiny@smopk.example") is None
    assert account["email"] == "spravce@smopk.example" and account["role"] == "admin"
    assert account["must_change_password"] and len(password) >= 16
    assert account["password_hash"].startswith("$argon2id$") and password not in account["password_hash"]
    with db.transaction() as tx, pytest.raises(Conflict):
        usecases.create_account(UnitOfWork(tx, NOW), "spravce@smopk.example", "Druhý", "staff")


def test_a_password_logs_in_a_new_session_kept_only_as_a_hash(db):
    with db.transaction() as tx:
        account, password = usecases.create_account(UnitOfWork(tx, NOW), "jana@smopk.example", "Jana", "staff")
        session_id, found = usecases.log_in(UnitOfWork(tx, NOW), "JANA@smopk.example ", password, "10.0.0.1")
        again, _ = usecases.log_in(UnitOfWork(tx, NOW), "jana@smopk.example", password, "10.0.0.1")
    assert found["id"] == account["id"] and session_id != again
    with db.transaction() as tx:
        assert store.get_session(tx, session_id) is None  # the id itself is nowhere
        account_now, login = usecases.current(UnitOfWork(tx, NOW + timedelta(minutes=29)), session_id)
        assert account_now["id"] == account["id"] and not login["second_factor_due"]


def test_an_idle_session_ends(db):
    with db.transaction() as tx:
        _, password = usecases.create_account(UnitOfWork(tx, NOW), "jana@smopk.example", "Jana", "staff")
        session_id, _ = usecases.log_in(UnitOfWork(tx, NOW), "jana@smopk.example", password, "10.0.0.1")
    with db.transaction() as tx:
        assert usecases.current(UnitOfWork(tx, NOW + timedelta(minutes=31)), session_id) is None
        assert usecases.current(UnitOfWork(tx, NOW + timedelta(minutes=1)), session_id) is None  # it is gone for good


def test_failed_logins_lock_the_account_for_a_while(db):
    with db.transaction() as tx:
        _, password = usecases.create_account(UnitOfWork(tx, NOW), "jana@smopk.example", "Jana", "staff")
    for _ in range(5):
        with db.transaction() as tx:
            assert usecases.log_in(UnitOfWork(tx, NOW), "jana@smopk.example", "hádám", "10.0.0.9") is None
    with db.transaction() as tx, pytest.raises(usecases.TooManyAttempts):
        usecases.log_in(UnitOfWork(tx, NOW), "jana@smopk.example", password, "10.0.0.1")  # the right password, too late
    with db.transaction() as tx:
        assert usecases.log_in(UnitOfWork(tx, NOW + timedelta(minutes=16)), "jana@smopk.example", password, "10.0.0.1")


def test_an_administrator_needs_the_code_from_the_phone(db):
    with db.transaction() as tx:
        account, password = usecases.create_account(UnitOfWork(tx, NOW), "spravce@smopk.example", "Správce", "admin")
        secret = usecases.pending_totp_secret(tx, account)
        usecases.enable_totp(UnitOfWork(tx, NOW), account, pyotp.TOTP(secret).at(NOW))
        session_id, _ = usecases.log_in(UnitOfWork(tx, NOW), "spravce@smopk.example", password, "10.0.0.1")
        assert usecases.current(UnitOfWork(tx, NOW), session_id)[1]["second_factor_due"]
        right = {pyotp.TOTP(secret).at(NOW + timedelta(seconds=s)) for s in (-30, 0, 30)}
        wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in right)
        assert usecases.second_factor(UnitOfWork(tx, NOW), session_id, wrong, "10.0.0.1") is False
        later = NOW + timedelta(seconds=30)  # the code that set it up is used: the next one
        assert usecases.second_factor(UnitOfWork(tx, later), session_id, pyotp.TOTP(secret).at(later),
                                      "10.0.0.1") is True
        assert not usecases.current(UnitOfWork(tx, NOW), session_id)[1]["second_factor_due"]
    with db.transaction() as tx, pytest.raises(ValidationError):  # nothing pending: no code is right
        usecases.enable_totp(UnitOfWork(tx, NOW), account, pyotp.TOTP(secret).at(NOW))


def test_the_secret_being_set_up_stays_the_same_until_a_code_confirms_it(db):
    with db.transaction() as tx:
        account, _ = usecases.create_account(UnitOfWork(tx, NOW), "jana@smopk.example", "Jana", "staff")
        secret = usecases.pending_totp_secret(tx, account)
        assert usecases.pending_totp_secret(tx, account) == secret  # the page reloaded: the same QR code
        with pytest.raises(ValidationError):
            usecases.enable_totp(UnitOfWork(tx, NOW), account, "12345")
        assert usecases.pending_totp_secret(tx, account) == secret  # a wrong code does not change it
        usecases.enable_totp(UnitOfWork(tx, NOW), account, pyotp.TOTP(secret).at(NOW))
        kept = store.get_account(tx, account_id=account["id"])
    assert (kept["totp_secret"], kept["pending_totp_secret"]) == (secret, None)


def test_a_new_password_is_long_enough_and_new(db):
    with db.transaction() as tx:
        account, password = usecases.create_account(UnitOfWork(tx, NOW), "jana@smopk.example", "Jana", "staff")
    for old, new, field in ((password, "krátké", "password"), ("špatně", "dlouhé heslo 123", "old_password"),
                            (password, "jana je nejlepší", "password")):
        with db.transaction() as tx, pytest.raises(ValidationError) as refused:
            usecases.change_password(UnitOfWork(tx, NOW), account, old, new)
        assert field in refused.value.fields
    with db.transaction() as tx:
        usecases.change_password(UnitOfWork(tx, NOW), account, password, "Odpady v obci 2026")
        assert not store.get_account(tx, account_id=account["id"])["must_change_password"]
        assert [entry["action"] for entry in store.list_audit(tx)] == ["password_changed"]
