"""The console's own tables: staff accounts, their sessions, login failures and the audit log; the
staff API's tokens; webhooks with their deliveries and each attempt's answer."""
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
    UniqueConstraint,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from services.common.db import UTCDateTime

from .domain import AuditOutcome, StaffRole
from .webhooks import DeliveryStatus

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


api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # Only the SHA-256 of the token is kept (tokens.py says why not bcrypt); the prefix tells tokens apart.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(20), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", String(254)),
    # Each use, compactly: when last, from where, and how many (the audit log has each write and
    # each read of personal data in full).
    Column("last_used_at", UTCDateTime),
    Column("last_used_from", String(100)),
    Column("uses", Integer, nullable=False, default=0, server_default="0"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", String(500), nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("events", JSON, nullable=False),
    # Kept as is: every delivery is signed with it (HMAC needs the key itself, not a hash of it).
    Column("secret", String(100), nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("failures_in_row", Integer, nullable=False, default=0, server_default="0"),
    # Paused after WEBHOOK_PAUSE_AFTER failures in a row: its deliveries wait until an admin resumes it.
    Column("paused_at", UTCDateTime),
    Column("deleted_at", UTCDateTime),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    Column("message_id", String(36), nullable=False),  # the bus event's: the row is its own dedup record
    Column("event_type", String(64), nullable=False),
    # The exact JSON sent, signed anew at each try; "" once cleared (``clear_old_bodies``).
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, index=True),
    Column("claimed_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("webhook_id", "message_id", name="uq_webhook_deliveries_webhook_message"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("webhook_deliveries.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer),  # None: no answer (a time-out, a refused connection, a refused address)
    Column("duration_ms", Integer, nullable=False),
    Column("answer", String(200)),  # the first characters of the answer, or the error
)


def insert_token(conn, values) -> int:
    return conn.execute(api_tokens.insert().values(**values)).inserted_primary_key[0]


def token_by_hash(conn, digest):
    return conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest)).mappings().first()


def get_token(conn, token_id):
    return conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()


def list_tokens(conn):
    return conn.execute(select(api_tokens).order_by(api_tokens.c.revoked_at.is_not(None), api_tokens.c.id.desc())
                        ).mappings().all()


def revoke_token(conn, token_id, at, who) -> bool:
    return conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                        .values(revoked_at=at, revoked_by=who)).rowcount == 1


def token_used(conn, token_id, at, address):
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(
        last_used_at=at, last_used_from=(address or "")[:100], uses=api_tokens.c.uses + 1))


def insert_webhook(conn, values) -> int:
    return conn.execute(webhooks.insert().values(**values)).inserted_primary_key[0]


def get_webhook(conn, webhook_id):
    return conn.execute(select(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.deleted_at.is_(None))
                        ).mappings().first()


def list_webhooks(conn):
    return conn.execute(select(webhooks).where(webhooks.c.deleted_at.is_(None)).order_by(webhooks.c.id)
                        ).mappings().all()


def update_webhook(conn, webhook_id, values):
    conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))


def paused_webhooks(conn):
    return conn.execute(select(webhooks).where(webhooks.c.deleted_at.is_(None), webhooks.c.paused_at.is_not(None))
                        ).mappings().all()


def add_delivery(conn, values) -> bool:
    """A delivery of one event to one webhook, once: False when that pair has one already (the
    event delivered by the bus a second time, or an event change told per registration, whose
    messages share one id: ``courier.per_event``). The unique pair decides, also between two
    transactions at once (the loser's savepoint is rolled back, its transaction goes on)."""
    exists = conn.execute(select(webhook_deliveries.c.id).where(
        webhook_deliveries.c.webhook_id == values["webhook_id"],
        webhook_deliveries.c.message_id == values["message_id"])).first()
    if exists is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(webhook_deliveries.insert().values(**values))
    except IntegrityError:
        return False
    return True


def claim_deliveries(conn, now, until, limit):
    """The due deliveries of webhooks not paused, claimed until ``until`` (another process's
    loop skips them meanwhile); the claim is the update, so two loops never take the same row."""
    d, w = webhook_deliveries, webhooks
    due = select(d.c.id).join(w, w.c.id == d.c.webhook_id).where(
        d.c.status == DeliveryStatus.PENDING, d.c.next_attempt_at <= now, w.c.paused_at.is_(None),
        w.c.deleted_at.is_(None),
        or_(d.c.claimed_until.is_(None), d.c.claimed_until < now)).order_by(d.c.id).limit(limit)
    ids = conn.execute(due).scalars().all()
    claimed = []
    for delivery_id in ids:
        if conn.execute(update(d).where(d.c.id == delivery_id, or_(d.c.claimed_until.is_(None),
                                                                   d.c.claimed_until < now))
                        .values(claimed_until=until)).rowcount == 1:
            claimed.append(delivery_id)
    if not claimed:
        return []
    return conn.execute(select(d, w.c.url, w.c.secret).join(w, w.c.id == d.c.webhook_id)
                        .where(d.c.id.in_(claimed)).order_by(d.c.id)).mappings().all()


def still_claimed(conn, delivery_id, until) -> bool:
    """Whether the claim ``until`` on a delivery is still the one it holds (locked: a process that
    would claim it now waits for this transaction)."""
    held = conn.execute(select(webhook_deliveries.c.claimed_until).where(webhook_deliveries.c.id == delivery_id)
                        .with_for_update()).scalar()
    return held is not None and held == until


def get_delivery(conn, delivery_id):
    return conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)).mappings().first()


def update_delivery(conn, delivery_id, values):
    conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(**values))


def add_attempt(conn, values):
    conn.execute(webhook_attempts.insert().values(**values))


def list_deliveries(conn, webhook_id, limit=50):
    return conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
                        .order_by(webhook_deliveries.c.id.desc()).limit(limit)).mappings().all()


def attempts_of(conn, delivery_ids):
    if not delivery_ids:
        return []
    return conn.execute(select(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(delivery_ids))
                        .order_by(webhook_attempts.c.id)).mappings().all()


def clear_old_bodies(conn, before) -> int:
    """Empty the body of each delivery delivered or given up whose last try (or, never tried, its
    creation) was before ``before``: it names a person. The row, its status, tries and log stay;
    how many were cleared."""
    d, a = webhook_deliveries, webhook_attempts
    last_try = select(func.max(a.c.at)).where(a.c.delivery_id == d.c.id).scalar_subquery()
    return conn.execute(update(d).where(
        d.c.status.in_((DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)), d.c.body != "",
        func.coalesce(last_try, d.c.created_at) < before).values(body="")).rowcount


def webhook_deliveries_stop(conn, webhook_id):
    """A deleted webhook's waiting deliveries are given up."""
    conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id,
                                                  webhook_deliveries.c.status == DeliveryStatus.PENDING)
                 .values(status=DeliveryStatus.FAILED, next_attempt_at=None))


def webhook_deliveries_due_now(conn, webhook_id, now):
    conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id,
                                                  webhook_deliveries.c.status == DeliveryStatus.PENDING)
                 .values(next_attempt_at=now))
