"""The key the console makes for a question whose key staff left blank."""
import pytest

from services.backoffice.domain import question_key


@pytest.mark.parametrize("label, key", [
    ("Dotaz na lektora", "dotaz_na_lektora"),
    ("Příjezd autem – ano, či ne?", "prijezd_autem_ano_ci_ne"),
    ("Strava (vegetariánská, bezlepková…)", "strava_vegetarianska_bezlepkova"),
    ("Kterých " + "modulů " * 10 + "se zúčastníte?", "kterych_modulu_modulu_modulu_modulu_modu"),
    ("Stravování 2027", "stravovani_2027"),
])
def test_a_key_is_made_of_the_words_without_diacritics(label, key):
    assert question_key(label) == key
    assert len(key) <= 40
