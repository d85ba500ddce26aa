"""Signed ticket codes: the ticket number plus an HMAC that only we can make.

A code reads ``T42-3KQ7V2M9XH4P8ZRA``: short enough for a robust QR code,
unambiguous when typed by hand, verifiable without a database look-up.
"""
import base64
import hashlib
import hmac
import os
import re
import secrets

from nameko.extensions import DependencyProvider

from services.common.settings import setting

_CODE = re.compile(r"^T([1-9][0-9]{0,11})-([A-Z2-7]{16})$")


def _mac(key: bytes, number: int) -> str:
    digest = hmac.new(key, f"ticket:{number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode()


def ticket_code(key: bytes, number: int) -> str:
    """The signed code printed on ticket ``number``."""
    return f"T{number}-{_mac(key, number)}"


def verify_ticket_code(key: bytes, code: str) -> int | None:
    """The ticket number of a genuine code, or None for a forged or garbled one."""
    match = _CODE.match((code or "").strip().upper())
    if not match:
        return None
    number = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _mac(key, number)):
        return None
    return number


def load_or_create_key(key_text: str, key_file: str) -> bytes:
    """The configured key, or the one kept in ``key_file``, made once.

    The file is created with mode 0600 in the same call that creates it, so it
    is never readable by others, not even for a moment; a kept file that others
    can read is refused (``KeyFileExposed``): a key that may have been copied
    must be replaced, not used. Several processes may start at once: each
    writes a candidate and links it into place, which only one of them wins,
    so all end up with the same key.
    """
    if key_text:
        return key_text.encode()
    if not os.path.exists(key_file):
        candidate = f"{key_file}.{os.getpid()}.{secrets.token_hex(4)}.new"
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as new:
            new.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(candidate, key_file)
        except FileExistsError:
            pass
        finally:
            os.unlink(candidate)
    if os.stat(key_file).st_mode & 0o077:
        raise KeyFileExposed(f"{key_file} can be read by other users: make a new key (delete the file, or set "
                             "TICKET_SIGNING_KEY), since this one may have been copied; printed tickets then need "
                             "to be sent again")
    with open(key_file) as kept:
        return kept.read().strip().encode()


class KeyFileExposed(RuntimeError):
    """The signing key's file is readable by others than its owner."""


def derived_key(key: bytes, label: str) -> bytes:
    """A key for one purpose (``label``), made from the signing key with HMAC: a leak of one
    purpose's key, or a token made for one purpose, tells nothing about the others."""
    return hmac.new(key, f"smopk:{label}".encode(), hashlib.sha256).digest()


class TicketSigner(DependencyProvider):
    """Gives entrypoints the ticket signing key from configuration."""

    def setup(self) -> None:
        config = self.container.config
        key_file = setting(config, "TICKET_SIGNING_KEY_FILE")
        os.makedirs(os.path.dirname(key_file) or ".", exist_ok=True)
        self.key = load_or_create_key(config.get("TICKET_SIGNING_KEY") or "", key_file)

    def get_dependency(self, worker_ctx: object) -> bytes:
        return self.key
