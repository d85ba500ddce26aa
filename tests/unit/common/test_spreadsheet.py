"""CSV cells that a spreadsheet would run as formulas are written as text."""
import pytest

from services.common.spreadsheet import UnreadableText, cell, csv_text, spreadsheet_text


@pytest.mark.parametrize("typed", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_formula_start_gets_an_apostrophe(typed):
    assert cell(typed) == "'" + typed


@pytest.mark.parametrize("value", ["Nováková", "1+1", "", " =1", 42, -5, None])
def test_other_cells_are_as_they_were(value):
    assert cell(value) == value


def test_the_file_is_for_czech_excel():
    assert csv_text(["Jméno", "Počet"], [["=x", -1]]) == "\ufeffJméno;Počet\r\n'=x;-1\r\n"


REGISTER = "IČO;název;okres;adresa\r\n00075370;Statutární město Plzeň;Plzeň-město;Štěpánka Nová\r\n" \
           "00295906;Město Žďár;Tachov;Žďár 1\r\n"


@pytest.mark.parametrize("data", [REGISTER.encode("utf-8"), REGISTER.encode("utf-8-sig"), REGISTER.encode("cp1250")])
def test_what_czech_excel_saves_is_read_as_the_same_text(data):
    text = spreadsheet_text(data)
    assert text == REGISTER and "Plzeň" in text and "Žďár" in text and "Štěpánka" in text


@pytest.mark.parametrize("data, line", [
    # UTF-8 with a byte lost on line 3 (its Czech letters elsewhere are UTF-8: not read as cp1250)
    (REGISTER.encode("utf-8").replace("Žďár 1".encode(), "Žďár 1".encode()[:-3] + b"\xc5"), 3),
    # bytes that Windows-1250 does not define (0x81, 0x98)
    (b"ICO;nazev\n00075370;Plzen\n00295906;\x81\x98\n", 3),
    # a replacement character left by an earlier conversion, in valid UTF-8
    ("IČO;název\n00075370;Plze\ufffd\n".encode(), 2),
    # C1 control characters: Windows-1250 text read as Latin-1 once and saved as UTF-8
    (REGISTER.encode("cp1250").decode("latin-1").encode("utf-8"), 2),
    # U+0085 (NEL) is C1 too, and is no line break here
    ("IČO;název\n00075370;Plze\x85ň\n".encode(), 2),
    # a workbook (.xlsx is a zip) chosen instead of its CSV: control characters on the first line
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", 1),
])
def test_garbled_bytes_are_refused_with_their_line(data, line):
    with pytest.raises(UnreadableText) as refused:
        spreadsheet_text(data)
    assert refused.value.line == line
    assert f"na řádku {line}" in refused.value.message and "nic nebylo nahráno" in refused.value.message
