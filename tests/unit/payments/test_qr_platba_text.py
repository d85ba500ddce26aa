"""QR Platba text as the SPAYD specification decodes it (issue 25/15): a ``%`` escaped as
``%25``, a ``*`` as ``%2A``, and letters without an ASCII decomposition transliterated."""
import re
from datetime import date

import pytest

from services.payments import domain

ACCOUNT = domain.bank_account("CZ6508000000192000145399", "GIBACZPX")


def decode_spayd(text: str) -> dict:
    """The fields of a SPAYD text, decoded as the specification (and its reference Java decoder)
    does: only ASCII; values split at ``*``; a ``%`` must start a ``%XX`` escape, which is then
    percent-decoded (UTF-8)."""
    assert text.isascii(), text
    head, version, *pairs = text.split("*")
    assert (head, version) == ("SPD", "1.0"), text
    fields = {}
    for pair in pairs:
        key, _, value = pair.partition(":")
        if re.search(r"%(?![0-9A-Fa-f]{2})", value):
            raise ValueError(f"{key}: a bare % in {value!r}")
        fields[key] = re.sub(r"%([0-9A-Fa-f]{2})", lambda found: bytes.fromhex(found.group(1)).decode("latin-1"),
                             value)
    return fields


@pytest.mark.parametrize("message, decoded", [
    ("Firma 100% s.r.o.", "Firma 100% s.r.o."),
    ("Łukasz Żółć", "Lukasz Zolc"),
    ("Søren Ærø, Straße", "Soren AEro, Strasse"),
    ("Věra Průchová * 2", "Vera Pruchova * 2"),
    ("Œuvre Þór Đorđe", "OEuvre Thor Dorde"),
])
def test_the_message_decodes_to_what_was_meant(message, decoded):
    text = domain.spd(ACCOUNT, 90000, "1000000042", message, date(2026, 12, 8))
    fields = decode_spayd(text)
    assert fields["MSG"] == decoded
    assert fields["X-VS"] == "1000000042" and fields["AM"] == "900.00"


def test_the_message_keeps_sixty_characters_before_escaping():
    fields = decode_spayd(domain.spd(ACCOUNT, 100, "1", "%" * 80))
    assert fields["MSG"] == "%" * 60
