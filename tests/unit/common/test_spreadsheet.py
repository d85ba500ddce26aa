"""CSV cells that a spreadsheet would run as formulas are written as text."""
import pytest

from services.common.spreadsheet import cell, csv_text


@pytest.mark.parametrize("typed", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_formula_start_gets_an_apostrophe(typed):
    assert cell(typed) == "'" + typed


@pytest.mark.parametrize("value", ["Nováková", "1+1", "", " =1", 42, -5, None])
def test_other_cells_are_as_they_were(value):
    assert cell(value) == value


def test_the_file_is_for_czech_excel():
    assert csv_text(["Jméno", "Počet"], [["=x", -1]]) == "\ufeffJméno;Počet\r\n'=x;-1\r\n"
