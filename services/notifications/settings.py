"""The notifications service's settings, in one place; every default is deploy/config.yaml's."""
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.settings import setting, text


@dataclass(frozen=True)
class Settings:
    mail_from: str  # the From of every email, and the domain of its Message-ID
    reply_to: str | None
    organiser_name: str
    organiser_contact: str
    public_base_url: str  # without a trailing slash
    announce_per_second: float
    sent_email_keep_days: float
    retry_delays: tuple  # seconds before each new try of an email that was not sent


def load(config: Mapping) -> Settings:
    return Settings(
        mail_from=text(setting(config, "MAIL_FROM")),
        reply_to=setting(config, "MAIL_REPLY_TO") or None,
        organiser_name=text(setting(config, "ORGANISER_NAME")),
        organiser_contact=text(setting(config, "ORGANISER_CONTACT")),
        public_base_url=text(setting(config, "PUBLIC_BASE_URL")).rstrip("/"),
        announce_per_second=setting(config, "ANNOUNCE_PER_SECOND"),
        sent_email_keep_days=float(setting(config, "SENT_EMAIL_KEEP_DAYS")),
        retry_delays=tuple(setting(config, "MAIL_RETRY_DELAYS")),
    )
