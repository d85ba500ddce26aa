"""The console's settings in one place, parsed once when it starts (``SettingsProvider``); every
default is deploy/config.yaml's (``services.common.settings.setting``).

(Its database, and the waits of its calls to other services, ``RPC_TIMEOUT_SECONDS`` and
``STATEMENT_RPC_TIMEOUT_SECONDS``, are read by their providers in ``services.common``.)
"""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.settings import setting, text


@dataclass(frozen=True)
class Settings:
    address: str  # host:port the console listens on, never the public site's
    secure_cookies: bool  # the console is served over https:// (BACKOFFICE_BASE_URL)
    client_address_header: str | None  # the header the proxy names the client in; None: the connection's
    amqp_uri: str  # the broker whose dead letters the console shows and replays
    bank_api: bool  # the Fio API is set up: the payments page offers to fetch from the bank


def load(config: Mapping[str, Any]) -> Settings:
    return Settings(
        address=text(setting(config, "BACKOFFICE_ADDRESS")),
        secure_cookies=text(setting(config, "BACKOFFICE_BASE_URL")).startswith("https://"),
        client_address_header=setting(config, "CLIENT_ADDRESS_HEADER") or None,
        amqp_uri=text(setting(config, "AMQP_URI")),
        bank_api=bool(setting(config, "FIO_API_TOKEN")),
    )
