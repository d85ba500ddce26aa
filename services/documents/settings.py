"""The documents service's settings, in one place; every default is deploy/config.yaml's."""
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.settings import setting, text


@dataclass(frozen=True)
class Settings:
    organiser_name: str  # printed on tickets, attendance sheets, certificates and reports
    public_base_url: str  # where a certificate's QR code and short address lead (its verification page)
    seal_file: str  # the seal certificate as PKCS#12; "" seals nothing
    seal_password: str
    certificates_keep_years: int  # how long the register keeps a certificate's holder and programme


def load(config: Mapping) -> Settings:
    return Settings(organiser_name=text(setting(config, "ORGANISER_NAME")),
                    public_base_url=text(setting(config, "PUBLIC_BASE_URL")).rstrip("/"),
                    seal_file=text(setting(config, "CERTIFICATE_SEAL_FILE")),
                    seal_password=text(setting(config, "CERTIFICATE_SEAL_PASSWORD")),
                    certificates_keep_years=int(setting(config, "CERTIFICATES_KEEP_YEARS")))
