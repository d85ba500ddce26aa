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

from services.common.errors import Conflict, NotFound, ServiceError, ValidationError
from services.common.unit_of_work import unit_of_work

from . import domain, store, tokens, webhooks

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


class CodeLocked(ServiceError):
    status = 429

    def __init__(self):
        super().__init__("code_locked", "Příliš mnoho chybných ověřovacích kódů: přihlášení tohoto účtu je na "
                                        "15 minut zablokované. Zkuste to prosím potom znovu.")
        self.retry_after = int(domain.FAILURE_WINDOW.total_seconds())


class CodeUsed(ServiceError):
    status = 401

    def __init__(self):
        super().__init__("code_used", "Tento kód už byl použitý. Počkejte prosím na další kód v aplikaci.")


class LoginEnded(ServiceError):
    """Too many wrong codes for one login: it starts again from the password."""
    status = 401

    def __init__(self):
        super().__init__("login_ended", "Příliš mnoho chybných kódů. Přihlaste se prosím znovu.")


class LastAdministrator(ServiceError):
    status = 409

    def __init__(self):
        super().__init__("last_administrator", "Jde o posledního aktivního správce: nejdřív jmenujte jiného "
                                               "správce, jinak by konzoli nikdo nespravoval.")


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def create_account(uow, email, name, role, password=None):
    """A new account; without ``password`` a one-time one, to be changed at first login.
    Returns ``(account, password)``."""
    conn, now = uow.conn, uow.now
    email = email.strip().lower()
    domain.check_role(role)
    if store.get_account(conn, email=email) is not None:
        raise Conflict("account_exists", "Účet s tímto e-mailem už existuje.")
    given = password is not None
    password = password if given else one_time_password()
    if given:
        domain.check_new_password(password, email)
    account_id = store.insert_account(conn, {
        "email": email, "name": name.strip() or email, "role": role, "password_hash": HASHER.hash(password),
        "must_change_password": not given, "totp_secret": None, "active": True, "created_at": now})
    return store.get_account(conn, account_id=account_id), password


def add_account(uow, admin, data):
    """A new account made by ``admin`` on the accounts page (``data``: email, name and role),
    audited: ``(account, one-time password)``."""
    account, password = create_account(uow, data["email"], data["name"], data["role"])
    audit(uow, admin, "account_created", {"email": account["email"], "role": account["role"]})
    return account, password


def bootstrap_admin(uow, email):
    """The first administrator when there is no account at all: ``(account, one-time password)``, else None."""
    if store.count_accounts(uow.conn):
        return None
    return create_account(uow, email, "Správce", domain.StaffRole.ADMIN)


def log_in(uow, email, password, address):
    """Check a password; a new session: ``(session id, account)``. The session still needs the
    second factor when the account has one, or is an administrator's. A wrong password is
    counted and audited, and answers None (not an exception: the count must be committed).

    Throttled by account first (``FAILURES_ALLOWED`` in ``FAILURE_WINDOW``) and by address only
    far above that (``ADDRESS_FAILURES_ALLOWED``): the whole office may come through one proxy
    address. A refused attempt raises ``TooManyAttempts`` (this transaction is rolled back: the
    caller audits it with ``failed_login``, reason ``throttled``, in one of its own)."""
    conn, now = uow.conn, uow.now
    email = (email or "").strip().lower()
    account_key, address_key = f"account:{email}", f"address:{address}"
    since = now - domain.FAILURE_WINDOW
    store.forget_failures_before(conn, since)
    account = store.get_account(conn, email=email)
    if _throttled(conn, account, account_key, address_key, since):
        raise TooManyAttempts()
    reason = "unknown_account" if account is None else "account_disabled" if not account["active"] else None
    if not _password_matches(account, password) and reason is None:
        reason = "wrong_password"
    if reason is not None:
        for key in (account_key, address_key):
            store.add_failure(conn, key, now)
        failed_login(uow, email, address, reason)
        return None
    changes = {"failures_cleared_at": now}
    if HASHER.check_needs_rehash(account["password_hash"]):
        changes["password_hash"] = HASHER.hash(password)
    store.update_account(conn, account["id"], changes)
    session_id = secrets.token_urlsafe(32)
    store.insert_session(conn, {"id_hash": _hash(session_id), "account_id": account["id"],
                                "csrf": secrets.token_urlsafe(24),
                                "second_factor_due": domain.needs_second_factor(account),
                                "created_at": now, "last_seen_at": now})
    return session_id, account


def _throttled(conn, account, account_key, address_key, since) -> bool:
    """Whether the account (``account_key``; ``account`` None when there is none) or the address
    failed to log in too often since ``since``, the window's start."""
    # A login that passed clears the account's count (not its records, which expire with their
    # window): a person who mistyped four times and then got in is not one typo from a lock-out.
    # Only someone with the password can pass, so this gives a guesser nothing; the address count
    # is never cleared by a success (one good password must not hide a spray from the address).
    account_since = max(since, account["failures_cleared_at"]) if account is not None and \
        account["failures_cleared_at"] is not None else since
    return (store.failures_since(conn, account_key, account_since) >= domain.FAILURES_ALLOWED
            or store.failures_since(conn, address_key, since) >= domain.ADDRESS_FAILURES_ALLOWED)


def sign_in(database, clock, email, password, address):
    """A login by the login form, audited: the new session's id. A wrong password raises
    ``LoginRefused`` once its failure is committed; a throttled attempt raises ``TooManyAttempts``
    once it is recorded (``throttled``) in a transaction of its own (``log_in``'s rolled back).
    It opens its units of work itself (each reading ``clock``), as a refusal outlives the login's."""
    try:
        with unit_of_work(database, clock) as uow:
            found = log_in(uow, email, password, address)
            if found is not None:
                audit(uow, found[1], "logged_in", {"address": address})
    except TooManyAttempts:
        with unit_of_work(database, clock) as uow:
            failed_login(uow, email, address, "throttled")
        raise
    if found is None:
        raise LoginRefused()
    return found[0]


def failed_login(uow, email, address, reason):
    """A failed or refused login in the audit log: the email typed (only when it looks like
    one: a password typed into the wrong field is not kept), the address and why."""
    conn, now = uow.conn, uow.now
    typed = (email or "").strip().lower()[:254]
    who = typed if "@" in typed and not any(ch.isspace() for ch in typed) else "(neplatný e-mail)"
    store.add_audit(conn, now, who, "login_failed", {"address": address, "reason": reason})


def _password_matches(account, password) -> bool:
    try:
        return HASHER.verify(account["password_hash"] if account else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return False


def current(uow, session_id):
    """``(account, session)`` of a live session, its idle time reset; None when there is none."""
    conn, now = uow.conn, uow.now
    if not session_id:
        return None
    found = store.get_session(conn, _hash(session_id))
    if found is None:
        return None
    account = store.get_account(conn, account_id=found["account_id"])
    if not domain.session_alive(found, now) or not account["active"]:
        store.delete_sessions(conn, id_hash=found["id_hash"])
        return None
    store.update_session(conn, found["id_hash"], {"last_seen_at": now})
    return account, found


def second_factor(uow, session_id, code, address):
    """Complete a login with a TOTP code: True; a wrong code is counted and answers False.

    Wrong codes are counted per account (``code:<email>``, which a correct password does not
    clear: only a correct code, or the window's end) and per login (its session): past
    ``CODE_FAILURES_ALLOWED`` the account's second factor is locked (``CodeLocked``), past
    ``CODE_FAILURES_PER_LOGIN`` this login's session ends. A code is accepted once:
    its time step must be later than the one used last."""
    conn, now = uow.conn, uow.now
    id_hash = _hash(session_id)
    found = store.get_session(conn, id_hash)
    account = store.get_account(conn, account_id=found["account_id"])
    account_key, login_key = f"code:{account['email']}", f"code-login:{id_hash}"
    since = now - domain.FAILURE_WINDOW
    if store.failures_since(conn, account_key, since) >= domain.CODE_FAILURES_ALLOWED:
        raise CodeLocked()
    step = domain.code_step(account["totp_secret"], code, now, account["totp_last_step"])
    if step is not None and not store.use_code_step(conn, account["id"], step):
        raise CodeUsed()  # another login used this code a moment ago
    if step is None:
        if domain.code_used(account["totp_secret"], code, now, account["totp_last_step"]):
            raise CodeUsed()
        for key in (account_key, login_key):
            store.add_failure(conn, key, now)
        failed_login(uow, account["email"], address, "wrong_code")
        if store.failures_since(conn, login_key, since) >= domain.CODE_FAILURES_PER_LOGIN:
            store.delete_sessions(conn, id_hash=id_hash)
        return False
    store.forget_failures(conn, account_key)
    store.forget_failures(conn, login_key)
    store.update_session(conn, id_hash, {"second_factor_due": False})
    return True


def complete_login(database, clock, account, session_id, code, address):
    """The second factor of ``account``'s login by the code form. A wrong code raises
    ``LoginRefused`` once it is counted, or ``LoginEnded`` when it ended the login; a locked
    second factor raises ``CodeLocked`` once it is recorded (``code_locked``) in a transaction of
    its own (``second_factor``'s rolled back); a code used before ``CodeUsed``."""
    try:
        with unit_of_work(database, clock) as uow:
            passed = second_factor(uow, session_id, code, address)
            ended = not passed and current(uow, session_id) is None
    except CodeLocked:
        with unit_of_work(database, clock) as uow:
            failed_login(uow, account["email"], address, "code_locked")
        raise
    if ended:
        raise LoginEnded()
    if not passed:
        raise LoginRefused()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret, email) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="SMOPK konzole")


def pending_totp_secret(conn, account) -> str:
    """The secret the account is setting up its second factor with: the one made for it before,
    until a code made with it is right (a reload shows the same QR code), else a new one."""
    secret = store.get_account(conn, account_id=account["id"])["pending_totp_secret"]
    if secret is None:
        secret = new_totp_secret()
        store.update_account(conn, account["id"], {"pending_totp_secret": secret})
    return secret


def enable_totp(uow, account, code, session_id=None):
    """Keep the pending secret as the account's second factor once a code made with it is right;
    that code is used (it logs in nowhere else). With ``session_id``, the login waiting for its
    second factor is complete too."""
    conn, now = uow.conn, uow.now
    secret = store.get_account(conn, account_id=account["id"])["pending_totp_secret"]
    step = domain.code_step(secret, code, now)
    if secret is None or step is None:
        raise ValidationError({"code": "Kód nesouhlasí. Zkontrolujte čas v telefonu a zadejte nový kód."})
    store.update_account(conn, account["id"], {"totp_secret": secret, "pending_totp_secret": None,
                                               "totp_last_step": step, "totp_required": False})
    if session_id is not None:
        store.update_session(conn, _hash(session_id), {"second_factor_due": False})
    audit(uow, account, "totp_enabled", {})


def change_password(uow, account, old, new, session_id=None):
    """The account's own new password; every other session of the account ends (the one
    ``session_id`` names, where the change was made, stays)."""
    conn = uow.conn
    if not _password_matches(account, old):
        raise ValidationError({"old_password": "Současné heslo nesouhlasí."})
    domain.check_new_password(new or "", account["email"])
    if new == old:
        raise ValidationError({"password": "Nové heslo musí být jiné než dosavadní."})
    store.update_account(conn, account["id"], {"password_hash": HASHER.hash(new), "must_change_password": False})
    ended = store.delete_sessions(conn, account_id=account["id"],
                                  keep=_hash(session_id) if session_id else None)
    audit(uow, account, "password_changed", {"sessions_ended": ended})


def log_out(conn, session_id):
    store.delete_sessions(conn, id_hash=_hash(session_id))


def log_out_everywhere(uow, account):
    audit(uow, account, "logged_out_everywhere", {})
    return store.delete_sessions(uow.conn, account_id=account["id"])


# An administrator's changes to other accounts (the accounts page; tools/staff_user.py from a shell).
# ``admin`` is whoever acts: an account, or ``{"id": None, "email": "..."}`` for the command line.

def _target(conn, account_id):
    target = store.get_account(conn, account_id=account_id)
    if target is None:
        raise NotFound("account_not_found", "Takový účet neexistuje.")
    return target


def keeps_an_administrator(conn, target, role_after, active_after):
    """Refuse to leave no active administrator: the last one cannot be disabled or demoted."""
    if target["role"] == domain.StaffRole.ADMIN and target["active"] \
            and (role_after != domain.StaffRole.ADMIN or not active_after) \
            and store.count_active_admins(conn) <= 1:
        raise LastAdministrator()


def set_active(uow, admin, account_id, active):
    """Disable an account (it cannot log in, its sessions end at once) or enable it again.
    Returns the account as it was."""
    conn = uow.conn
    target = _target(conn, account_id)
    if bool(target["active"]) == bool(active):
        return target
    keeps_an_administrator(conn, target, target["role"], active)
    store.update_account(conn, target["id"], {"active": bool(active)})
    ended = 0 if active else store.delete_sessions(conn, account_id=target["id"])
    audit(uow, admin, "account_enabled" if active else "account_disabled",
          {"email": target["email"], "sessions_ended": ended})
    return target


def change_role(uow, admin, account_id, role):
    """A new role for an account; its sessions end, so that the next login has the new rights
    (and a new administrator sets up the second factor). Returns the account as it was."""
    conn = uow.conn
    domain.check_role(role)
    target = _target(conn, account_id)
    if target["role"] == role:
        return target
    keeps_an_administrator(conn, target, role, target["active"])
    store.update_account(conn, target["id"], {"role": role})
    ended = store.delete_sessions(conn, account_id=target["id"])
    audit(uow, admin, "role_changed", {"email": target["email"], "role": role,
                                       "previous_role": target["role"], "sessions_ended": ended})
    return target


def reset_password(uow, admin, account_id):
    """A new one-time password for someone who forgot theirs: to be changed at the next login;
    every session of the account ends. Returns ``(account, password)``."""
    conn = uow.conn
    target = _target(conn, account_id)
    if admin.get("id") == target["id"]:
        raise Conflict("own_account", "Vlastní heslo si změníte na stránce Heslo.")
    password = one_time_password()
    store.update_account(conn, target["id"], {"password_hash": HASHER.hash(password),
                                              "must_change_password": True})
    ended = store.delete_sessions(conn, account_id=target["id"])
    audit(uow, admin, "password_reset", {"email": target["email"], "sessions_ended": ended})
    return target, password


def reset_second_factor(uow, admin, account_id):
    """Forget the account's second factor (a phone lost or replaced): every session of the
    account ends, and the person sets up a new one at the next login. Returns the account as it was."""
    conn = uow.conn
    target = _target(conn, account_id)
    if admin.get("id") == target["id"]:
        raise Conflict("own_account", "Vlastní druhý faktor nezrušíte: požádejte jiného správce.")
    store.update_account(conn, target["id"], {"totp_secret": None, "pending_totp_secret": None,
                                              "totp_last_step": None, "totp_required": True})
    store.forget_failures(conn, f"code:{target['email']}")
    ended = store.delete_sessions(conn, account_id=target["id"])
    audit(uow, admin, "totp_reset", {"email": target["email"], "sessions_ended": ended})
    return target


def audit(uow, account, action, details):
    """Record who did what and when."""
    store.add_audit(uow.conn, uow.now, account["email"], action, details)


def audit_page(conn, filters, number):
    """One page of the audit log under ``filters``, newest first: ``(entries, total, pages,
    number, actions)``, ``number`` kept within the pages, ``actions`` those the log holds."""
    total = store.count_audit(conn, **filters)
    pages, number = domain.audit_pages(total, number)
    entries = store.list_audit(conn, limit=domain.AUDIT_PER_PAGE, offset=(number - 1) * domain.AUDIT_PER_PAGE,
                               **filters)
    return entries, total, pages, number, store.audit_actions(conn)


def audit_chunks(database, filters, size):
    """Every audit row of ``filters``, newest first, ``size`` rows at a time, each chunk read in a
    short transaction of its own (the rows older than the last one read): an export of the whole
    log holds no transaction open while it is sent."""
    before = None
    while True:
        with database.transaction() as tx:
            rows = store.list_audit(tx, limit=size, before_id=before, **filters)
        if not rows:
            return
        yield rows
        before = rows[-1]["id"]


# Staff API tokens and webhooks (issue 29): the console's own tables, each change audited in its transaction.

def create_api_token(uow, admin, name, scopes):
    """A new token: ``(row, the token itself)``; only its hash is kept, the token is shown once."""
    token = tokens.new_token()
    values = {"name": name, "token_hash": tokens.token_hash(token), "prefix": tokens.shown_prefix(token),
              "scopes": list(scopes), "created_by": admin["email"], "created_at": uow.now, "uses": 0}
    token_id = store.insert_token(uow.conn, values)
    audit(uow, admin, "api_token_created", {"api_token_id": token_id, "name": name, "scopes": list(scopes)})
    return dict(values, id=token_id), token


def revoke_api_token(uow, admin, token_id) -> bool:
    """Revoke a token (at once: its next request is refused); False when it was revoked already."""
    revoked = store.revoke_token(uow.conn, token_id, uow.now, admin["email"])
    if revoked:
        audit(uow, admin, "api_token_revoked", {"api_token_id": token_id})
    return revoked


def create_webhook(uow, admin, url, events, description):
    """A new webhook: ``(id, its signing secret)``, the secret shown once."""
    secret = webhooks.new_secret()
    webhook_id = store.insert_webhook(uow.conn, {"url": url, "events": list(events), "description": description,
                                                 "secret": secret, "created_by": admin["email"],
                                                 "created_at": uow.now, "failures_in_row": 0})
    audit(uow, admin, "webhook_created", {"webhook_id": webhook_id, "url": url, "events": list(events)})
    return webhook_id, secret


def delete_webhook(uow, admin, webhook_id):
    """No more deliveries to it; its log stays (the rows keep pointing to it)."""
    store.update_webhook(uow.conn, webhook_id, {"deleted_at": uow.now})
    store.webhook_deliveries_stop(uow.conn, webhook_id)
    audit(uow, admin, "webhook_deleted", {"webhook_id": webhook_id})


def resume_webhook(uow, admin, webhook_id):
    """A paused webhook delivers again: its waiting deliveries go at once, failures counted afresh."""
    store.update_webhook(uow.conn, webhook_id, {"paused_at": None, "failures_in_row": 0})
    store.webhook_deliveries_due_now(uow.conn, webhook_id, uow.now)
    audit(uow, admin, "webhook_resumed", {"webhook_id": webhook_id})


BODY_CLEARED = ("Obsah této zprávy už byl smazán (osobní údaje se u odeslaných zpráv uchovávají jen omezenou "
                "dobu), proto ji nelze poslat znovu.")


def replay_delivery(uow, admin, delivery):
    """Send one delivery again (delivered or given up): due now, with a fresh round of retries.
    Refused (``Conflict``) once its body was cleared (``store.clear_old_bodies``)."""
    if not delivery["body"]:
        raise Conflict("delivery_body_cleared", BODY_CLEARED)
    store.update_delivery(uow.conn, delivery["id"], {"status": webhooks.DeliveryStatus.PENDING, "attempts": 0,
                                                     "next_attempt_at": uow.now, "claimed_until": None})
    audit(uow, admin, "webhook_replayed", {"webhook_id": delivery["webhook_id"], "delivery_id": delivery["id"],
                                           "event_type": delivery["event_type"]})
