"""IČO, the identification number of a Czech organisation: eight digits, the last a mod-11 check."""
import re

_ICO = re.compile(r"^[0-9]{8}$")


def ico_check_digit(first_seven: str) -> int:
    """The official mod-11 check digit of an IČO from its first seven digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_seven, range(8, 1, -1), strict=True))
    remainder = total % 11
    if remainder == 0:
        return 1
    if remainder == 1:
        return 0
    return 11 - remainder


def ico_error(ico: object) -> str | None:
    """A Czech reason why ``ico`` is not a valid IČO, or None when it is."""
    if not isinstance(ico, str) or not _ICO.match(ico):
        return "IČO má přesně 8 číslic."
    if ico_check_digit(ico[:7]) != int(ico[7]):
        return "IČO nemá platnou kontrolní číslici."
    return None
