"""The payments service's settings, parsed once when it starts (``SettingsProvider``).

Every default is deploy/config.yaml's (``services.common.settings.setting``); a wrong IBAN or
invoice mode stops the service at start rather than failing the first registration's handler.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.common.settings import flag, setting, text

from .domain import InvoiceMode, bank_account


@dataclass(frozen=True)
class Settings:
    account: dict  # domain.bank_account: the IBAN checked, and its Czech form
    days_to_pay: int
    due_after_start: bool
    invoice_mode: InvoiceMode
    vat_rate: int  # 0 unless the association is a VAT payer
    supplier: dict  # the invoice's supplier block, as documents and ISDOC print it
    fio_api_token: str  # "" when the bank API is not used
    fio_api_url: str | None  # None: Fio's own address
    fio_poll_every: timedelta
    fio_lookback: timedelta


def load(config: Mapping) -> Settings:
    """What paying and invoicing need from the configuration, checked."""
    account = bank_account(text(setting(config, "BANK_IBAN")), setting(config, "BANK_BIC") or None)
    mode = setting(config, "INVOICE_MODE", blank_is_default=True)
    modes = tuple(known.value for known in InvoiceMode)
    if mode not in modes:
        raise ValueError(f"INVOICE_MODE must be one of {modes}, not {mode!r}")
    vat_payer = flag(setting(config, "VAT_PAYER"))
    return Settings(
        account=account,
        days_to_pay=int(setting(config, "PAYMENT_DAYS")),
        due_after_start=flag(setting(config, "PAYMENT_DUE_AFTER_START")),
        invoice_mode=InvoiceMode(mode),
        vat_rate=int(setting(config, "VAT_RATE")) if vat_payer else 0,
        supplier={
            "name": setting(config, "ORGANISER_NAME"), "address": setting(config, "ORGANISER_ADDRESS"),
            "ico": text(setting(config, "ORGANISER_ICO")) or None,
            "dic": text(setting(config, "ORGANISER_DIC")) or None,
            "register_entry": setting(config, "ORGANISER_REGISTER_ENTRY"), "iban": account["iban"],
            "bic": account["bic"], "account": account["czech"], "email": setting(config, "MAIL_REPLY_TO") or None,
            "phone": None, "vat_payer": vat_payer,
        },
        fio_api_token=text(setting(config, "FIO_API_TOKEN")),
        fio_api_url=setting(config, "FIO_API_URL") or None,
        fio_poll_every=timedelta(seconds=float(setting(config, "FIO_POLL_SECONDS"))),
        fio_lookback=timedelta(days=int(setting(config, "FIO_LOOKBACK_DAYS"))),
    )
