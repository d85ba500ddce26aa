"""The console's settings in one place, parsed once when it starts (``SettingsProvider``); every
default is deploy/config.yaml's (``services.common.settings.setting``).

(Its database, and the waits of its calls to other services, ``RPC_TIMEOUT_SECONDS`` and
``STATEMENT_RPC_TIMEOUT_SECONDS``, are read by their providers in ``services.common``.)
"""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.settings import flag, setting, text


@dataclass(frozen=True)
class Settings:
    address: str  # host:port the console listens on, never the public site's
    base_url: str  # the console's address as people and other systems reach it (BACKOFFICE_BASE_URL)
    secure_cookies: bool  # the console is served over https:// (BACKOFFICE_BASE_URL)
    client_address_header: str | None  # the header the proxy names the client in; None: the connection's
    amqp_uri: str  # the broker whose dead letters the console shows and replays
    bank_api: bool  # the Fio API is set up: the payments page offers to fetch from the bank
    api_rate_limit: int  # requests of one staff API token per window
    api_rate_seconds: float
    webhook_retry_delays: tuple[float, ...]  # the waits before each retry of a failed delivery
    webhook_pause_after: int  # failures in a row that pause a webhook
    webhook_timeout: float
    webhook_poll_seconds: float
    webhook_allow_local_http: bool  # http://127.0.0.1 accepted (tests); else https:// to public addresses only
    webhook_body_keep_days: int  # a delivery's body (personal data) is cleared this long after its last try
    webhook_bindings_seconds: float  # how often a process reconciles the webhook events' bindings (bindings)


def load(config: Mapping[str, Any]) -> Settings:
    return Settings(
        address=text(setting(config, "BACKOFFICE_ADDRESS")),
        base_url=text(setting(config, "BACKOFFICE_BASE_URL")).rstrip("/"),
        secure_cookies=text(setting(config, "BACKOFFICE_BASE_URL")).startswith("https://"),
        client_address_header=setting(config, "CLIENT_ADDRESS_HEADER") or None,
        amqp_uri=text(setting(config, "AMQP_URI")),
        bank_api=bool(setting(config, "FIO_API_TOKEN")),
        api_rate_limit=int(setting(config, "STAFF_API_RATE_LIMIT")),
        api_rate_seconds=float(setting(config, "STAFF_API_RATE_SECONDS")),
        webhook_retry_delays=tuple(float(d) for d in setting(config, "WEBHOOK_RETRY_DELAYS", blank_is_default=True)),
        webhook_pause_after=int(setting(config, "WEBHOOK_PAUSE_AFTER")),
        webhook_timeout=float(setting(config, "WEBHOOK_TIMEOUT_SECONDS")),
        webhook_poll_seconds=float(setting(config, "WEBHOOK_POLL_SECONDS")),
        webhook_allow_local_http=flag(setting(config, "WEBHOOK_ALLOW_LOCAL_HTTP")),
        webhook_body_keep_days=int(setting(config, "WEBHOOK_BODY_KEEP_DAYS")),
        webhook_bindings_seconds=float(setting(config, "WEBHOOK_BINDINGS_SECONDS")),
    )
