"""Settings in one place: deploy/config.yaml's defaults, and a provider that parses a service's
settings once, when it starts.

``deploy/config.yaml`` is the only place a setting's default is written (``${KEY:default}``).
A service declares its settings as a frozen dataclass and a ``load(config)`` that reads each key
through ``setting``: the key as configured, else config.yaml's default (a test's configuration
often names only the keys it changes). Code never writes a second default.
"""
import functools
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from nameko.cli.main import ENV_VAR_MATCHER, IMPLICIT_ENV_VAR_MATCHER
from nameko.extensions import DependencyProvider

CONFIG_FILE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "deploy", "config.yaml")


def _default_only(match: "re.Match[str]") -> str:
    """``${KEY:default}`` as if KEY were unset: its default ("" without one)."""
    return match.group(2) or ""


class _DefaultsLoader(yaml.SafeLoader):
    """config.yaml read as ``nameko run`` reads it with none of its variables set."""


def _env_var(loader: yaml.SafeLoader, node: yaml.ScalarNode, raw: bool = False) -> Any:
    raw_value = loader.construct_scalar(node)
    value = ENV_VAR_MATCHER.sub(_default_only, raw_value)
    if value == raw_value:
        return value
    return value if raw else yaml.safe_load(value)


_DefaultsLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)
_DefaultsLoader.add_constructor("!env_var", _env_var)
_DefaultsLoader.add_constructor("!raw_env_var", functools.partial(_env_var, raw=True))


@functools.cache
def file_defaults(path: str = CONFIG_FILE) -> dict[str, Any]:
    """Every top-level key of config.yaml with its default, parsed once per process."""
    with open(path, encoding="utf-8") as config_file:
        loaded: dict[str, Any] = yaml.load(config_file, Loader=_DefaultsLoader)
        return loaded


def setting(config: Mapping[str, Any], key: str, blank_is_default: bool = False) -> Any:
    """The setting ``key``: as configured, else config.yaml's default (also when it is
    configured blank, None or "", and ``blank_is_default``). A key config.yaml lacks is a
    KeyError: every setting is declared there."""
    defaults = file_defaults()
    if key not in defaults:
        raise KeyError(f"{key} is not declared in deploy/config.yaml")
    if key in config and not (blank_is_default and config[key] in (None, "")):
        return config[key]
    return defaults[key]


def section(configured: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A block of settings (``SMTP``): the keys given, and config.yaml's defaults for the rest."""
    return {**file_defaults()[key], **configured}


def flag(setting: Any) -> bool:
    """A yes/no setting: YAML's booleans, or "1", "true", "yes", "ano" from an environment."""
    return setting is True or str(setting).strip().lower() in ("1", "true", "yes", "ano")


def text(setting: Any) -> str:
    """A text setting; an unset one (None) is ""."""
    return "" if setting is None else str(setting)


class SettingsProvider(DependencyProvider):
    """A service's settings, parsed once when its container starts: a wrong value (an IBAN that
    does not check) stops the service there, rather than failing the first handler that needs it.
    Each worker gets the same frozen object."""

    def __init__(self, load: Callable[[Mapping[str, Any]], Any]) -> None:
        self.load = load

    def setup(self) -> None:
        self.settings = self.load(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.settings
