"""The member register's pages: the days typed in its forms, the import's question, a choice
offered by the training record's search field."""
import pytest

from services.backoffice import domain


@pytest.mark.parametrize("typed, sent", [
    ("2005-01-01", "2005-01-01"), ("1. 1. 2005", "2005-01-01"), (" 31.12.2025 ", "2025-12-31"),
    ("", None), ("   ", None), ("loni", "loni"),  # refused by members, in Czech
])
def test_a_day_is_sent_as_iso(typed, sent):
    assert domain.form_day(typed) == sent


@pytest.mark.parametrize("created, updated, question", [
    (12, 3, "Nahrát 12 nových a změnit 3 organizace?"),
    (1, 1, "Nahrát 1 novou a změnit 1 organizaci?"),
    (2, 5, "Nahrát 2 nové a změnit 5 organizací?"),
    (1, 0, "Nahrát 1 novou organizaci?"),
    (3, 0, "Nahrát 3 nové organizace?"),
    (0, 7, "Změnit 7 organizací?"),
])
def test_the_import_asks_with_czech_counts(created, updated, question):
    assert domain.import_question({"created": created, "updated": updated}) == question


def test_the_import_names_its_bad_lines_before_and_after():
    report = {"created": 1, "updated": 0, "unchanged": 4, "failed": 2,
              "errors": [{"line": 3, "reason": "okres: Neznámý okres Plzeňského kraje."},
                         {"line": 9, "reason": "IČO: IČO má přesně 8 číslic."}]}
    said = domain.import_consequences(report)
    assert said[:4] == ["Beze změny: 4.", "Chybné řádky se nenahrají (2):",
                        "řádek 3: okres: Neznámý okres Plzeňského kraje.", "řádek 9: IČO: IČO má přesně 8 číslic."]
    assert domain.import_done(report) == ("Evidence nahrána: nové 1, změněné 0, beze změny 4, chybné 2. "
                                          "Nenahrané řádky: 3, 9.")


@pytest.mark.parametrize("typed, ico", [
    ("Obec Chotěšov (00256901)", "00256901"), ("00256901", "00256901"), (" 00256901 ", "00256901"),
    ("Chotěšov", None), ("Obec 2000 (1234)", None), ("", None),
])
def test_the_chosen_organisation_gives_its_ico(typed, ico):
    assert domain.chosen_ico(typed) == ico
    assert domain.chosen_ico(domain.organisation_choice({"name": "Obec Chotěšov", "ico": "00256901"})) == "00256901"
