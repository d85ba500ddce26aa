"""The console's settings: every key through config.yaml's defaults, parsed once at start."""
from services.backoffice.settings import load


def test_the_consoles_settings_from_a_partial_config_take_config_yamls_defaults():
    default = load({})
    assert default.address == "127.0.0.1:8001" and default.amqp_uri.startswith("pyamqp://")
    assert not default.secure_cookies and default.client_address_header is None and not default.bank_api
    behind_proxy = load({"BACKOFFICE_BASE_URL": "https://konzole.smopk.example", "FIO_API_TOKEN": "tajny",
                         "CLIENT_ADDRESS_HEADER": "X-Forwarded-For", "AMQP_URI": "pyamqp://broker/"})
    assert behind_proxy.secure_cookies and behind_proxy.bank_api and behind_proxy.amqp_uri == "pyamqp://broker/"
    assert behind_proxy.client_address_header == "X-Forwarded-For"
    assert load({"CLIENT_ADDRESS_HEADER": ""}).client_address_header is None
