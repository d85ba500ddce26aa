"""The console's use cases, one transaction each: accounts, logging in, sessions, the audit log.

Passwords are hashed with argon2id (argon2-cffi's defaults); a session id is
random, made at login (so one planted before login is worth nothing), and
kept only as its SHA-256. An account or an address with too many failed
logins in the window is refused until the window has passed.
"""
import hashlib
import secrets

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.errors import Conflict, ServiceError, ValidationError

from . import domain, store

HASHER = PasswordHasher()
# Checked when the account does not exist, so that the answer takes as long either way.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


class LoginRefused(ServiceError):
    status = 401

    def __init__(self):
        super().__init__("login_refused", "Nesprávný e-mail, heslo nebo kód.")


class TooManyAttempts(ServiceError):
    status = 429

    def __init__(self):
        super().__init__("too_many_attempts", "Příliš mnoho nepovedených přihlášení. Zkuste to prosím za 15 minut.")
        self.retry_after = int(domain.FAILURE_WINDOW.total_seconds())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def create_account(session, email, name, role, now, password=None):
    """A new account; without ``password`` a one-time one, to be changed at first login.
    Returns ``(account, password)``."""
    email = email.strip().lower()
    domain.check_role(role)
    if store.get_account(session, email=email) is not None:
        raise Conflict("account_exists", "Účet s tímto e-mailem už existuje.")
    given = password is not None
    password = password if given else one_time_password()
    if given:
        domain.check_new_password(password, email)
    account_id = store.insert_account(session, {
        "email": email, "name": name.strip() or email, "role": role, "password_hash": HASHER.hash(password),
        "must_change_password": not given, "totp_secret": None, "active": True, "created_at": now})
    return store.get_account(session, account_id=account_id), password


def bootstrap_admin(session, email, now):
    """The first administrator when there is no account at all: ``(account, one-time password)``, else None."""
    if store.count_accounts(session):
        return None
    return create_account(session, email, "Správce", "admin", now)


def log_in(session, email, password, address, now):
    """Check a password; a new session: ``(session id, account)``. The session still needs the
    second factor when the account has one, or is an administrator's. A wrong password is
    counted and answers None (not an exception: the count must be committed)."""
    email = (email or "").strip().lower()
    keys = (f"account:{email}", f"address:{address}")
    since = now - domain.FAILURE_WINDOW
    if any(store.failures_since(session, key, since) >= domain.FAILURES_ALLOWED for key in keys):
        raise TooManyAttempts()
    account = store.get_account(session, email=email)
    if account is None or not account["active"] or not _password_matches(account, password):
        for key in keys:
            store.add_failure(session, key, now)
        return None
    store.forget_failures(session, keys[0])
    if HASHER.check_needs_rehash(account["password_hash"]):
        store.update_account(session, account["id"], {"password_hash": HASHER.hash(password)})
    session_id = secrets.token_urlsafe(32)
    store.insert_session(session, {"id_hash": _hash(session_id), "account_id": account["id"],
                                   "csrf": secrets.token_urlsafe(24),
                                   "second_factor_due": domain.needs_second_factor(account),
                                   "created_at": now, "last_seen_at": now})
    return session_id, account


def _password_matches(account, password) -> bool:
    try:
        return HASHER.verify(account["password_hash"] if account else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return False


def current(session, session_id, now):
    """``(account, session)`` of a live session, its idle time reset; None when there is none."""
    if not session_id:
        return None
    found = store.get_session(session, _hash(session_id))
    if found is None:
        return None
    account = store.get_account(session, account_id=found["account_id"])
    if not domain.session_alive(found, now) or not account["active"]:
        store.delete_sessions(session, id_hash=found["id_hash"])
        return None
    store.update_session(session, found["id_hash"], {"last_seen_at": now})
    return account, found


def second_factor(session, session_id, code, now, address):
    """Complete a login with a TOTP code: True; a wrong code is counted and answers False."""
    found = store.get_session(session, _hash(session_id))
    account = store.get_account(session, account_id=found["account_id"])
    key = f"account:{account['email']}"
    if store.failures_since(session, key, now - domain.FAILURE_WINDOW) >= domain.FAILURES_ALLOWED:
        raise TooManyAttempts()
    if not pyotp.TOTP(account["totp_secret"]).verify(str(code or "").strip(), valid_window=1):
        store.add_failure(session, key, now)
        return False
    store.update_session(session, found["id_hash"], {"second_factor_due": False})
    return True


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret, email) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="SMOPK konzole")


def pending_totp_secret(session, account) -> str:
    """The secret the account is setting up its second factor with: the one made for it before,
    until a code made with it is right (a reload shows the same QR code), else a new one."""
    secret = store.get_account(session, account_id=account["id"])["pending_totp_secret"]
    if secret is None:
        secret = new_totp_secret()
        store.update_account(session, account["id"], {"pending_totp_secret": secret})
    return secret


def enable_totp(session, account, code, now):
    """Keep the pending secret as the account's second factor once a code made with it is right."""
    secret = store.get_account(session, account_id=account["id"])["pending_totp_secret"]
    if secret is None or not pyotp.TOTP(secret).verify(str(code or "").strip(), valid_window=1):
        raise ValidationError({"code": "Kód nesouhlasí. Zkontrolujte čas v telefonu a zadejte nový kód."})
    store.update_account(session, account["id"], {"totp_secret": secret, "pending_totp_secret": None})
    audit(session, account, "totp_enabled", {}, now)


def change_password(session, account, old, new, now):
    if not _password_matches(account, old):
        raise ValidationError({"old_password": "Současné heslo nesouhlasí."})
    domain.check_new_password(new or "", account["email"])
    if new == old:
        raise ValidationError({"password": "Nové heslo musí být jiné než dosavadní."})
    store.update_account(session, account["id"], {"password_hash": HASHER.hash(new), "must_change_password": False})
    audit(session, account, "password_changed", {}, now)


def log_out(session, session_id):
    store.delete_sessions(session, id_hash=_hash(session_id))


def log_out_everywhere(session, account, now):
    audit(session, account, "logged_out_everywhere", {}, now)
    return store.delete_sessions(session, account_id=account["id"])


def audit(session, account, action, details, now):
    """Record who did what and when."""
    store.add_audit(session, now, account["email"], action, details)
