"""Staff API tokens: what a token is, how it is kept and what each scope allows (plain functions).

A token is ``smopk_`` and 32 random bytes (256 bits) in URL-safe base64, shown once when an
administrator creates it. Only its SHA-256 is kept (``token_hash``), as with session ids: a
copy of the table lets nobody in. A slow password hash (bcrypt, argon2) buys nothing here: it
makes guessing a *low-entropy* password expensive, while guessing one of 2**256 random tokens
is already out of reach at any speed; and it would cost every API request tens of milliseconds
of CPU (an easy way to load the console) and rule out finding the token by an indexed lookup of
its hash. The first characters (``prefix``) are kept in the clear so that people can tell
their tokens apart in the console.
"""
import hashlib
import secrets
from enum import StrEnum

from services.common.errors import ServiceError, ValidationError

TOKEN_PREFIX = "smopk_"
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
NAME_MAX = 100


class Scope(StrEnum):
    """What a token may do; one or more per token."""

    READ_EVENTS = "events:read"
    READ_REGISTRATIONS = "registrations:read"
    MANAGE_REGISTRATIONS = "registrations:manage"
    READ_PAYMENTS = "payments:read"
    READ_ACCOUNTING = "accounting:read"


SCOPE_NAMES = {Scope.READ_EVENTS: "číst akce", Scope.READ_REGISTRATIONS: "číst přihlášky",
               Scope.MANAGE_REGISTRATIONS: "rušit a obnovovat přihlášky", Scope.READ_PAYMENTS: "číst platby",
               Scope.READ_ACCOUNTING: "stahovat podklady pro účetní"}


class Unauthorized(ServiceError):
    status = 401

    def __init__(self, code="unauthorized",
                 message="Chybí platný přístupový token (hlavička Authorization: Bearer <token>)."):
        super().__init__(code, message)


class Forbidden(ServiceError):
    status = 403

    def __init__(self, scope):
        super().__init__("insufficient_scope", f"Tento token nemá oprávnění „{SCOPE_NAMES[scope]}“ ({scope}).")
        self.scope = scope


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def shown_prefix(token: str) -> str:
    return token[:SHOWN_PREFIX_LENGTH]


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; ``Unauthorized`` otherwise."""
    kind, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if kind.lower() != "bearer" or not value.startswith(TOKEN_PREFIX) or len(value) > 200:
        raise Unauthorized()
    return value


def check_scope(granted, needed: Scope) -> None:
    """``Forbidden`` unless ``needed`` is among the token's ``granted`` scopes."""
    if needed not in set(granted or ()):
        raise Forbidden(needed)


def token_values(name: str | None, chosen) -> tuple[str, list[str]]:
    """A new token's name and scopes as typed; ``ValidationError`` in Czech when they are not."""
    name, chosen = (name or "").strip(), [value for value in chosen or () if value]
    problems = {}
    if not name:
        problems["name"] = "Napište, k čemu token slouží (např. „web obce Kozlovice“)."
    elif len(name) > NAME_MAX:
        problems["name"] = f"Název je příliš dlouhý (nejvýše {NAME_MAX} znaků)."
    unknown = [value for value in chosen if value not in set(Scope)]
    if unknown or not chosen:
        problems["scopes"] = "Vyberte alespoň jedno oprávnění ze seznamu."
    if problems:
        raise ValidationError(problems)
    return name, sorted(set(chosen))
