"""Settings in one place: every key the code reads is declared in deploy/config.yaml, and its
default is written there only (``services.common.settings``)."""
import ast
import pathlib

import pytest
from nameko.containers import ServiceContainer

from services.common.settings import file_defaults, section, setting
from services.payments import settings as payment_settings
from services.payments.service import PaymentsService
from services.registrations import messaging

ROOT = pathlib.Path(__file__).resolve().parents[3]
SOURCES = sorted((ROOT / "services").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))


def _is_config(node) -> bool:
    """``config``, ``self.config``, ``self.container.config``: the service's configuration."""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config")


def _text(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def reads(tree):
    """``(key, line, second default or None)`` for every configuration read in a module: config["X"],
    config.get("X"[, default]), config.get("X") or <fallback>, setting(config, "X"), the keys of a
    ``*_SETTINGS`` table and an RpcClient's ``timeout_setting``."""
    found = []
    fallbacks = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and isinstance(node.values[0], ast.Call):
            rest = [v for v in node.values[1:] if not (isinstance(v, ast.Constant) and v.value in (None, ""))]
            if rest:
                fallbacks[id(node.values[0])] = ast.unparse(rest[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_config(node.value) and _text(node.slice):
            found.append((_text(node.slice), node.lineno, None))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "get" and _is_config(func.value)
                    and _text(node.args[0])):
                default = ast.unparse(node.args[1]) if len(node.args) > 1 else fallbacks.get(id(node))
                found.append((_text(node.args[0]), node.lineno, default))
            elif (isinstance(func, ast.Name) and func.id == "setting" and len(node.args) > 1
                    and _text(node.args[1])):
                found.append((_text(node.args[1]), node.lineno, fallbacks.get(id(node))))
            for keyword in node.keywords:
                if keyword.arg == "timeout_setting" and _text(keyword.value):
                    found.append((_text(keyword.value), node.lineno, None))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id.endswith("_SETTINGS") for t in node.targets):
            found.extend((_text(v), node.lineno, None) for v in node.value.values if _text(v))
        elif isinstance(node, ast.FunctionDef):
            for name, default in zip(reversed(node.args.args), reversed(node.args.defaults), strict=False):
                if name.arg == "timeout_setting" and _text(default):
                    found.append((_text(default), node.lineno, None))
    return found


def every_read():
    for path in SOURCES:
        for key, line, default in reads(ast.parse(path.read_text(encoding="utf-8"))):
            yield f"{path.relative_to(ROOT)}:{line}", key, default


def test_the_scan_finds_the_reads_it_is_meant_to_find():
    sample = ast.parse('config["A"]; self.config.get("B", 7); self.container.config.get("C") or 5\n'
                       'setting(config, "D"); RpcClient("x", timeout_setting="E"); X_SETTINGS = {"a": "F"}\n'
                       'config.get("G") or None; other.get("H", 1)')
    assert sorted((key, default) for key, _, default in reads(sample)) == [
        ("A", None), ("B", "7"), ("C", "5"), ("D", None), ("E", None), ("F", None), ("G", None)]


def test_every_setting_the_code_reads_is_declared_in_config_yaml():
    declared = set(file_defaults())
    reads_found = list(every_read())
    assert len(reads_found) > 50  # the scan sees the code
    missing = sorted({f"{where} {key}" for where, key, _ in reads_found if key not in declared})
    assert not missing, missing


def test_no_default_is_written_a_second_time_in_code():
    """A default is config.yaml's: config.get("X", 7) or config.get("X") or 7 would be a second one."""
    seconds = sorted(f"{where} {key} = {default}" for where, key, default in every_read() if default is not None)
    assert not seconds, seconds


def test_a_setting_not_given_takes_config_yamls_default_and_an_undeclared_one_is_refused():
    assert setting({}, "FIO_LOOKBACK_DAYS") == 7 and setting({"FIO_LOOKBACK_DAYS": 3}, "FIO_LOOKBACK_DAYS") == 3
    assert setting({"INVOICE_MODE": ""}, "INVOICE_MODE", blank_is_default=True) == "on_registration"
    assert setting({"ORGANISER_DIC": ""}, "ORGANISER_DIC") == ""
    assert section({"HOST": "mail.example"}, "SMTP")["PORT"] == 8025
    assert messaging.LINK_DAYS == {"materials": 90, "feedback": 30}
    with pytest.raises(KeyError, match="NO_SUCH_SETTING"):
        setting({"NO_SUCH_SETTING": 1}, "NO_SUCH_SETTING")


def test_config_yaml_is_read_for_its_defaults_not_the_environment(monkeypatch):
    monkeypatch.setenv("FIO_LOOKBACK_DAYS", "99")
    file_defaults.cache_clear()
    try:
        assert file_defaults()["FIO_LOOKBACK_DAYS"] == 7
        assert file_defaults()["ORGANISER_NAME"] == "Sdružení měst a obcí Plzeňského kraje"
        assert file_defaults()["ORGANISER_ICO"] == "25278754"  # a raw value stays text
        assert file_defaults()["VAT_PAYER"] is False and file_defaults()["FIO_API_URL"] is None
    finally:
        file_defaults.cache_clear()


def test_payments_settings_from_a_partial_config_are_config_yamls():
    settings = payment_settings.load({"PAYMENT_DAYS": "10", "VAT_PAYER": "true"})
    assert settings.days_to_pay == 10 and settings.vat_rate == 21 and settings.invoice_mode == "on_registration"
    assert settings.fio_lookback.days == 7 and settings.fio_poll_every.total_seconds() == 600
    assert settings.fio_api_token == "" and settings.fio_api_url is None
    assert settings.account["czech"] == "19-2000145399/0800"
    assert settings.supplier["name"] == "Sdružení měst a obcí Plzeňského kraje"
    assert settings.supplier["ico"] == "25278754"
    with pytest.raises(ValueError, match="INVOICE_MODE"):
        payment_settings.load({"INVOICE_MODE": "monthly"})


def test_payments_parse_their_settings_once_when_the_container_starts():
    def settings_of(config):
        container = ServiceContainer(PaymentsService, dict(config, AMQP_URI=file_defaults()["AMQP_URI"]))
        [provider] = [d for d in container.dependencies if d.attr_name == "settings"]
        return container, provider  # the provider holds its container weakly

    container, provider = settings_of({"PAYMENT_DAYS": 10})
    provider.setup()
    first = provider.get_dependency(None)
    assert first is provider.get_dependency(None) and first.days_to_pay == 10
    with pytest.raises(ValueError, match="not a valid IBAN"):  # a wrong account stops the start
        container, provider = settings_of({"BANK_IBAN": "CZ6508000000192000145398"})
        provider.setup()


@pytest.mark.parametrize("module", ["documents", "notifications", "registrations", "payments", "backoffice"])
def test_each_services_settings_load_from_an_empty_config_with_config_yamls_values(module):
    import importlib

    loaded = importlib.import_module(f"services.{module}.settings").load({})
    assert loaded == importlib.import_module(f"services.{module}.settings").load(file_defaults())
    if hasattr(loaded, "organiser_name"):
        assert loaded.organiser_name == "Sdružení měst a obcí Plzeňského kraje"
    with pytest.raises(AttributeError):  # frozen: no use case changes a setting
        loaded.days_to_pay = loaded.organiser_name = 1
