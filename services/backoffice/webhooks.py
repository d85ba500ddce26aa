"""Webhooks: what an administrator may register, how a delivery is signed and when it is tried
again (plain functions; the delivery loop is ``courier.WebhookCourier``).

A delivery is a POST of a JSON body ``{"id", "type", "occurred_at", "data"}`` (``id`` the bus
event's ``message_id``: a receiver deduplicates by it) with the header

    X-Smopk-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

where ``body`` is the exact bytes sent (UTF-8) and ``secret`` the webhook's signing secret,
shown once when it is registered. A receiver recomputes the HMAC, compares it in constant
time and refuses a ``t`` too far from its own clock (replays); docs/operations.md has the code.

Addresses (SSRF): only ``https://`` to a host whose every resolved address is public
(``ipaddress``'s ``is_global``, not multicast nor site-local, and any IPv4 address it wraps, as
IPv4-mapped, 6to4, NAT64 or Teredo, public as well: ``public_address``), checked when registered and
again before each delivery; redirects are not followed. ``WEBHOOK_ALLOW_LOCAL_HTTP`` (tests, a
receiver on the same machine) also accepts ``http://127.0.0.1:<port>``. The check resolves the
name itself, then ``requests`` resolves it again: a DNS answer that changes between the two
(rebinding) is not ruled out; a proxy that refuses private addresses would be (docs/operations.md).
"""
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from services.common.errors import ValidationError

SIGNATURE_HEADER = "X-Smopk-Signature"
# How far a receiver should trust a signature's time (the example in docs/operations.md).
TOLERANCE_SECONDS = 300
ANSWER_KEPT = 200  # the first characters of each answer kept in the attempt's log
URL_MAX = 500

# The bus events a webhook may choose, and what the console calls them.
EVENTS = {
    "registration_confirmed": "přihláška potvrzena", "registration_cancelled": "přihláška zrušena",
    "registration_promoted": "místo z čekací listiny", "registration_substituted": "místo předáno náhradníkovi",
    "payment_received": "platba přijata", "invoice_issued": "vystavena faktura",
    "event_published": "akce zveřejněna", "event_updated": "akce změněna (čas nebo místo)",
    "event_cancelled": "akce zrušena",
}


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (or waiting while its webhook is paused)
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # every retry failed: given up (replayable from the console)


DELIVERY_STATUS_NAMES = {DeliveryStatus.PENDING: "čeká na odeslání", DeliveryStatus.DELIVERED: "doručeno",
                         DeliveryStatus.FAILED: "nedoručeno (vzdáno)"}


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: ``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str | None, body: bytes, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the header's HMAC matches ``body`` and its time is recent."""
    parts = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def body(message_id: str, event_type: str, occurred_at: str | None, payload: dict) -> str:
    """The JSON a receiver gets: ``payload`` without its envelope under ``data``. ``payload`` is
    what the receiver may see (``courier.webhook_data``), never a bus event's whole payload."""
    data = {key: value for key, value in payload.items() if key not in ("message_id", "event_type", "occurred_at")}
    return json.dumps({"id": message_id, "type": event_type, "occurred_at": occurred_at, "data": data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def next_attempt(attempts: int, delays) -> timedelta | None:
    """The wait after the ``attempts``-th failed try; None when it was the last (given up)."""
    return timedelta(seconds=delays[attempts - 1]) if attempts <= len(delays) else None


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are an IPv4 address
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # a network's own translator (RFC 8215): never public


def _wrapped_ipv4(ip) -> list:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, 6to4 (2002::/16), NAT64
    (64:ff9b::/96) and Teredo (2001::/32, its client); a receiver behind any of them must be public too."""
    if ip.version != 6:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [wrapped for wrapped in found if wrapped is not None]


def public_address(address: str) -> bool:
    """Only a globally routable unicast address (``is_global``: not loopback, private, shared
    100.64.0.0/10, link-local, site-local fec0::/10, reserved, documentation, benchmarking …),
    and whatever IPv4 address it wraps is one as well."""
    ip = ipaddress.ip_address(address)
    if not ip.is_global or ip.is_multicast or ip.is_unspecified or ip.is_loopback:
        return False
    if ip.version == 6 and (ip.is_site_local or ip in NAT64_LOCAL):
        return False
    return all(public_address(str(wrapped)) for wrapped in _wrapped_ipv4(ip))


def _resolve(host: str, port: int) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


def url_problem(url: str, allow_local_http: bool, resolve=_resolve) -> str | None:
    """Why ``url`` may not receive deliveries (Czech), or None."""
    if not url or len(url) > URL_MAX:
        return f"Zadejte adresu začínající https:// (nejvýše {URL_MAX} znaků)."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Adresa není platná."
    host = parts.hostname or ""
    if parts.username or parts.password:
        return "Adresa nesmí obsahovat jméno ani heslo."
    if allow_local_http and parts.scheme == "http" and host == "127.0.0.1":
        return None
    if parts.scheme != "https" or not host:
        return "Adresa musí začínat https:// a obsahovat jméno serveru."
    try:
        addresses = resolve(host, port or 443)
    except (OSError, UnicodeError):
        return f"Server {host} se nepodařilo najít (DNS)."
    if not addresses or not all(public_address(address) for address in addresses):
        return "Adresa vede do vnitřní nebo neveřejné sítě; takovou adresu nelze použít."
    return None


def webhook_values(url: str | None, chosen, description: str | None, allow_local_http: bool,
                   resolve=_resolve) -> tuple[str, list[str], str]:
    """A new webhook's URL, events and description as typed; ``ValidationError`` in Czech otherwise."""
    url, description = (url or "").strip(), (description or "").strip()
    chosen = [value for value in chosen or () if value]
    problems = {}
    problem = url_problem(url, allow_local_http, resolve)
    if problem:
        problems["url"] = problem
    if not chosen or any(value not in EVENTS for value in chosen):
        problems["events"] = "Vyberte alespoň jednu událost ze seznamu."
    if len(description) > 200:
        problems["description"] = "Popis je příliš dlouhý (nejvýše 200 znaků)."
    if problems:
        raise ValidationError(problems)
    return url, sorted(set(chosen)), description
