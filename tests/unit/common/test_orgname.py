"""The normalised name by which the organisation limit recognises an organisation typed without an IČO."""
import pytest

from services.common.orgname import organisation_key, registered_organisation


@pytest.mark.parametrize("typed", [
    "Obec Dobřany", "OBEC DOBŘANY", "obec  dobrany", "Dobřany", "Město Dobřany", "Obecní úřad Dobřany",
    "MěÚ Dobřany", "Městský úřad Dobřany", " Dobřany, obec ", "Dobřany (město)",
])
def test_a_municipality_typed_in_many_ways_has_one_key(typed):
    assert organisation_key(typed) == "dobrany"


@pytest.mark.parametrize("typed", [
    "Eko Plzeň, s.r.o.", "EKO PLZEŇ s. r. o.", "Eko Plzeň spol. s r.o.", "Eko-Plzeň", "eko plzen sro",
    "Eko Plzeň, společnost s ručením omezeným",
])
def test_a_company_with_or_without_its_legal_form_has_one_key(typed):
    assert organisation_key(typed) == "eko plzen"


@pytest.mark.parametrize("typed, key", [
    ("Spolek pro obnovu venkova, z.s.", "spolek pro obnovu venkova"),
    ("Centrum Bezbariérové, o.p.s.", "centrum bezbarierove"),
    ("Základní škola Horažďovice, příspěvková organizace", "zakladni skola horazdovice"),
    ("ZŠ Horažďovice, p. o.", "zs horazdovice"),
    ("Městys Chudenice", "chudenice"),
    ("Statutární město Plzeň", "plzen"),
    ("Městský obvod Plzeň 3", "plzen 3"),
])
def test_legal_forms_are_dropped(typed, key):
    assert organisation_key(typed) == key


def test_different_organisations_keep_different_keys():
    assert organisation_key("Obec Horní Lhota") != organisation_key("Obec Dolní Lhota")
    assert organisation_key("Plzeň 3") != organisation_key("Plzeň")


def test_a_name_of_only_a_legal_form_keeps_it_and_no_name_has_no_key():
    assert organisation_key("Obec") == "obec"
    assert organisation_key("s.r.o.") == "s r o"
    assert organisation_key("") is None
    assert organisation_key("  ,. ") is None
    assert organisation_key(None) is None


def test_a_registration_is_for_its_ico_else_for_its_names_key():
    assert registered_organisation(" 00257206 ", "Obec Chotěšov") == "00257206"
    assert registered_organisation(None, "Obec Kbelnice") == registered_organisation("", "KBELNICE") == "kbelnice"
    assert registered_organisation(None, None) == registered_organisation("", " ") == ""
