"""The documents service's settings, in one place; every default is deploy/config.yaml's."""
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.settings import setting, text


@dataclass(frozen=True)
class Settings:
    organiser_name: str  # printed on tickets, attendance sheets, certificates and reports


def load(config: Mapping) -> Settings:
    return Settings(organiser_name=text(setting(config, "ORGANISER_NAME")))
