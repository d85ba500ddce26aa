"""The console's own tables: staff accounts, their sessions, login failures and the audit log."""
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    or_,
    select,
    update,
)

from services.common.db import UTCDateTime

from .domain import AuditOutcome, StaffRole

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("totp_secret", String(64)),
    # The second factor being set up: kept until a code made with it is right, so that reloading
    # the page shows the same QR code (one scanned already keeps working).
    Column("pending_totp_secret", String(64)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The TOTP time step of the code used last: a code is accepted once, so only a later step is.
    Column("totp_last_step", Integer),
    # The second factor must be set up at the next login (an administrator reset a lost one).
    Column("totp_required", Boolean, nullable=False, default=False, server_default="0"),
    # The last login that passed: the account's failed passwords before it no longer count
    # (the failure records stay until their window ends; see usecases.log_in).
    Column("failures_cleared_at", UTCDateTime),
)

sessions = Table(
    "sessions",
    metadata,
    # Only a hash of the session id is kept: a copy of this table logs nobody in.
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    # A password is checked, and the second factor still to come.
    Column("second_factor_due", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # "account:<email>", "address:<ip>" (passwords), "code:<email>", "code-login:<session hash>" (TOTP codes)
    Column("key", String(300), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("who", String(254), nullable=False, index=True),
    Column("action", String(60), nullable=False, index=True),
    Column("details", JSON, nullable=False),
    # ``domain.AuditOutcome`` (``auditing`` writes it); NULL for the rows written after their
    # action, before the outcome was kept: they were done.
    Column("outcome", String(20)),
    Column("error", String(60)),
    Column("finished_at", UTCDateTime),
)


def count_accounts(conn) -> int:
    return conn.execute(select(func.count()).select_from(accounts)).scalar_one()


def insert_account(conn, values) -> int:
    return conn.execute(accounts.insert().values(**values)).inserted_primary_key[0]


def get_account(conn, account_id=None, email=None):
    query = select(accounts)
    query = query.where(accounts.c.id == account_id) if account_id is not None else \
        query.where(accounts.c.email == email)
    return conn.execute(query).mappings().first()


def list_accounts(conn):
    return conn.execute(select(accounts).order_by(accounts.c.email)).mappings().all()


def update_account(conn, account_id, values):
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))


def use_code_step(conn, account_id, step) -> bool:
    """Record ``step`` as the account's last used TOTP step, when it is later than the one
    recorded; False when it is not (the code was used already, maybe by a login at the same moment)."""
    return conn.execute(update(accounts).where(
        accounts.c.id == account_id,
        func.coalesce(accounts.c.totp_last_step, -1) < step).values(
        totp_last_step=step)).rowcount == 1


def count_active_admins(conn) -> int:
    return conn.execute(select(func.count()).select_from(accounts).where(
        accounts.c.role == StaffRole.ADMIN, accounts.c.active.is_(True))).scalar_one()


def insert_session(conn, values):
    conn.execute(sessions.insert().values(**values))


def get_session(conn, id_hash):
    return conn.execute(select(sessions).where(sessions.c.id_hash == id_hash)).mappings().first()


def update_session(conn, id_hash, values):
    conn.execute(update(sessions).where(sessions.c.id_hash == id_hash).values(**values))


def delete_sessions(conn, id_hash=None, account_id=None, keep=None) -> int:
    """End one session (``id_hash``) or all of an account's, but the one hashed ``keep``."""
    query = sessions.delete()
    query = query.where(sessions.c.id_hash == id_hash) if id_hash is not None else \
        query.where(sessions.c.account_id == account_id)
    if keep is not None:
        query = query.where(sessions.c.id_hash != keep)
    return conn.execute(query).rowcount


def add_failure(conn, key, at):
    conn.execute(login_failures.insert().values(key=key, at=at))


def failures_since(conn, key, since) -> int:
    return conn.execute(select(func.count()).select_from(login_failures)
                        .where(login_failures.c.key == key, login_failures.c.at >= since)).scalar_one()


def forget_failures(conn, key):
    conn.execute(login_failures.delete().where(login_failures.c.key == key))


def forget_failures_before(conn, before):
    """Failures whose window has ended count for nothing: they go."""
    conn.execute(login_failures.delete().where(login_failures.c.at < before))


def add_audit(conn, at, who, action, details, outcome=AuditOutcome.DONE) -> int:
    return conn.execute(audit.insert().values(at=at, who=who, action=action, details=details, outcome=outcome,
                                              finished_at=at if outcome != AuditOutcome.STARTED else None)
                        ).inserted_primary_key[0]


def finish_audit(conn, entry_id, outcome, details, at, error=None):
    conn.execute(update(audit).where(audit.c.id == entry_id).values(outcome=outcome, details=details, error=error,
                                                                    finished_at=at))


def _audit_filters(query, who=None, action=None, since=None, until=None, outcome=None):
    """``who``: part of the email; ``action``: its key; ``since`` inclusive, ``until`` exclusive."""
    if who:
        query = query.where(audit.c.who.contains(who.strip().lower(), autoescape=True))
    if action:
        query = query.where(audit.c.action == action)
    if since is not None:
        query = query.where(audit.c.at >= since)
    if until is not None:
        query = query.where(audit.c.at < until)
    if outcome == AuditOutcome.DONE:
        query = query.where(or_(audit.c.outcome == AuditOutcome.DONE, audit.c.outcome.is_(None)))
    elif outcome:
        query = query.where(audit.c.outcome == outcome)
    return query


def audit_actions(conn) -> list[str]:
    """The actions the log holds (what its filter offers)."""
    return conn.execute(select(audit.c.action).distinct()).scalars().all()


def count_audit(conn, **filters) -> int:
    return conn.execute(_audit_filters(select(func.count()).select_from(audit), **filters)).scalar_one()


def list_audit(conn, limit=50, offset=0, before_id=None, **filters):
    """The audit rows matching ``filters``, newest first: a page (``limit``, ``offset``), or the
    ``limit`` rows older than ``before_id`` (the CSV reads everything in such chunks)."""
    query = _audit_filters(select(audit), **filters)
    if before_id is not None:
        query = query.where(audit.c.id < before_id)
    return conn.execute(query.order_by(audit.c.id.desc()).limit(limit).offset(offset)).mappings().all()
