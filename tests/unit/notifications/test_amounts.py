"""Money in the attendee's emails (issue 31): one amount format (``czech.money``), the price
stated once, and a group invoice's remaining amount told apart from the person's own fee."""
import re

from services.payments import domain
from tests.helpers import image_qr_codes, spd_fields
from tests.unit.notifications.test_delivery import confirmed
from tests.unit.notifications.test_substitute import substituted

ACCOUNT = domain.bank_account("CZ6508000000192000145399", "GIBACZPX")
GROUP = {"variable_symbol": "2000000001", "amount": 500, "amount_halere": 50000, "outstanding_halere": 100000,
         "group_invoice": "FV-2026-0007", "due_on": "2026-12-05", "requested_on": "2026-11-27",
         "account": ACCOUNT["czech"], "iban": ACCOUNT["iban"], "bic": ACCOUNT["bic"], "invoice_number": "FV-2026-0007",
         "spd": domain.spd(ACCOUNT, 100000, "2000000001", "2000000001 faktura FV-2026-0007")}
OWN = dict(GROUP, variable_symbol="1000000002", outstanding_halere=50000, group_invoice=None, invoice_number=None,
           spd=domain.spd(ACCOUNT, 50000, "1000000002", "1000000002 Petr Dvorak"))
AMOUNT = re.compile(r"\d[\d\xa0 ]*(?:,\d\d)?\xa0Kč")


def bodies(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_the_substitute_on_a_group_invoice_is_told_their_fee_and_what_the_group_still_owes(notifications, sink):
    told = substituted()
    told["registration"].update(price=500, payment=GROUP)
    notifications.on_registration_substituted(told)
    [message] = [m for m in sink.messages() if m["To"] == "petr@obec.example"]
    plain, html = bodies(message)
    assert "Cena za vás:       500,00\xa0Kč" in plain
    assert "Zbývá zaplatit za celou skupinu (faktura FV-2026-0007): 1\xa0000,00\xa0Kč" in plain
    assert "Zbývá zaplatit za celou skupinu (faktura FV-2026-0007)" in html and "1\xa0000,00\xa0Kč" in html
    for part in (plain, html):
        assert "Cena:" not in part and "Částka" not in part  # no third line with a price
        assert {amount for amount in AMOUNT.findall(part)} == {"500,00\xa0Kč", "1\xa0000,00\xa0Kč"}
    [picture] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert spd_fields(image_qr_codes(picture.get_content())[0])["AM"] == "1000.00"


def test_a_confirmation_states_its_price_once_in_the_one_amount_format(notifications, sink):
    notifications.on_payment_requested(dict(confirmed(2, price=1500, payment=dict(
        OWN, outstanding_halere=150000, amount=1500, amount_halere=150000)), after="registration_confirmed"))
    notifications.on_registration_confirmed(confirmed(3, price=0))
    paid, free = sorted(sink.messages(), key=lambda m: m["To"])
    for part in bodies(paid):
        assert AMOUNT.findall(part) == ["1\xa0500,00\xa0Kč"]  # "Částka k úhradě", not also "Cena: 1 500 Kč"
        assert "Cena za vás" not in part and "Zbývá" not in part
    assert "Částka k úhradě:   1\xa0500,00\xa0Kč" in bodies(paid)[0]
    for part in bodies(free):
        assert "zdarma" in part and not AMOUNT.findall(part)
