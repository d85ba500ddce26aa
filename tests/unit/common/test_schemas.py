import pytest

from services.common.errors import ValidationError
from services.common.schemas import CzechSchema, Email, Text


class Note(CzechSchema):
    text = Text(multiline=True)
    line = Text()


def test_multiline_text_keeps_its_line_breaks_as_newlines_whatever_the_browser_sent():
    loaded = Note().load_or_raise({"text": "Dobrý den,\r\n\r\nzítra\rv 9:00.", "line": "  Obec \t Kbelnice "})
    assert loaded == {"text": "Dobrý den,\n\nzítra\nv 9:00.", "line": "Obec Kbelnice"}


@pytest.mark.parametrize("address, message", [
    ("dvořák@nyrany.example", "Adresa nesmí mít před zavináčem písmena s diakritikou: poštovní servery mnoha úřadů "
                              "takovou adresu nepřijmou a e-mail by nedošel. Zadejte ji bez háčků a čárek, "
                              "například dvorak@nyrany.example."),
    ("łukasz@nyrany.example", "Adresa nesmí mít před zavináčem písmena s diakritikou: poštovní servery mnoha úřadů "
                              "takovou adresu nepřijmou a e-mail by nedošel. Zadejte ji bez háčků a čárek."),
    ("obec@nýřany.cz", "Název domény za zavináčem nesmí obsahovat písmena s diakritikou (domény .cz je nemají) "
                       "a e-mail by nedošel. Zkontrolujte adresu, například obec@nyrany.cz."),
    ("dvořák", "Zadejte platnou e-mailovou adresu."),
])
def test_an_address_outside_ascii_is_refused_saying_why_and_what_to_type(address, message):
    class Person(CzechSchema):
        email = Email(required=True)

    with pytest.raises(ValidationError) as refused:
        Person().load_or_raise({"email": address})
    assert refused.value.fields == {"email": message}
    assert Person().load_or_raise({"email": " dvorak@xn--ny-6ka0c.example "}) == {
        "email": "dvorak@xn--ny-6ka0c.example"}  # an IDN domain already in its ASCII form is an address
