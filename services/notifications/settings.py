"""The notifications service's settings, in one place; every default is deploy/config.yaml's."""
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.settings import flag, setting, text


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
    isds_url: str
    isds_username: str | None
    isds_password: str | None
    isds_cert: str | None
    isds_key: str | None
    isds_timeout: float
    isds_sender_ovm: bool
    isds_poll_seconds: float

    @property
    def isds_configured(self) -> bool:
        return bool(self.isds_username or self.isds_cert)


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
        isds_url=text(setting(config, "ISDS_URL", blank_is_default=True)),
        isds_username=setting(config, "ISDS_USERNAME") or None,
        isds_password=setting(config, "ISDS_PASSWORD") or None,
        isds_cert=setting(config, "ISDS_CERT") or None,
        isds_key=setting(config, "ISDS_KEY") or None,
        isds_timeout=float(setting(config, "ISDS_TIMEOUT")),
        isds_sender_ovm=flag(setting(config, "ISDS_SENDER_OVM")),
        isds_poll_seconds=float(setting(config, "ISDS_POLL_SECONDS")),
    )
