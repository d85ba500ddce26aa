"""The registrations service's settings read by more than one entrypoint, in one place; every
default is deploy/config.yaml's. (The rate limits and the personal links' lifetimes are read
where they are used: ``ratelimit.RateLimits`` and ``messaging.link_days``.)"""
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.settings import setting, text


@dataclass(frozen=True)
class Settings:
    public_base_url: str  # without a trailing slash
    mail_from: str
    organiser_name: str
    organiser_contact: str
    reminder_days_before: int
    registrations_keep_years: int
    sent_email_keep_days: int
    outbox_keep_days: int


def load(config: Mapping) -> Settings:
    return Settings(
        public_base_url=text(setting(config, "PUBLIC_BASE_URL")).rstrip("/"),
        mail_from=text(setting(config, "MAIL_FROM")),
        organiser_name=text(setting(config, "ORGANISER_NAME")),
        organiser_contact=text(setting(config, "ORGANISER_CONTACT")),
        reminder_days_before=int(setting(config, "REMINDER_DAYS_BEFORE")),
        registrations_keep_years=int(setting(config, "REGISTRATIONS_KEEP_YEARS")),
        sent_email_keep_days=int(setting(config, "SENT_EMAIL_KEEP_DAYS")),
        outbox_keep_days=int(setting(config, "OUTBOX_KEEP_DAYS")),
    )
