"""The key by which two typed names of an organisation are the same organisation.

"Obec Dobřany", "OBEC  DOBŘANY", "Obecní úřad Dobřany" and "Dobřany" name one municipality;
"Eko Plzeň, s.r.o." and "EKO PLZEŇ s. r. o." one company. The key is the name casefolded,
without diacritics, punctuation and extra white space, and without the words that only say
what kind of organisation it is (its legal form, "obec", "město", "úřad").
"""
import unicodedata

# Word sequences (already casefolded, without diacritics and punctuation) that say what kind of
# organisation it is, not which one; longest first, so that "mestsky urad" goes before "mesto".
LEGAL_FORMS = sorted((tuple(words.split()) for words in (
    "obec", "mesto", "mestys", "statutarni mesto", "mestska cast", "mestsky obvod",
    "obecni urad", "mestsky urad", "magistrat mesta", "urad mestyse", "ou", "mu", "meu",
    "svazek obci", "dobrovolny svazek obci", "dso",
    "s r o", "spol s r o", "sro", "spol sro", "spolecnost s rucenim omezenym",
    "a s", "as", "akciova spolecnost",
    "z s", "zapsany spolek",  # not "zs": that is how "ZŠ" (a school) is typed
    "o p s", "ops", "obecne prospesna spolecnost",
    "z u", "zu", "zapsany ustav",
    "v o s", "k s", "druzstvo",
    "prispevkova organizace", "p o", "po",
)), key=len, reverse=True)


def _words(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else " " for c in plain).split()


def organisation_key(name: str | None) -> str | None:
    """The normalised form of an organisation's name (None for no name). The words of a legal
    form are dropped wherever they stand; a name made of nothing else keeps them (“Obec” stays
    “obec”)."""
    words = _words(name or "")
    if not words:
        return None
    kept: list[str] = []
    index = 0
    while index < len(words):
        form = next((form for form in LEGAL_FORMS if tuple(words[index:index + len(form)]) == form), None)
        if form is None:
            kept.append(words[index])
            index += 1
        else:
            index += len(form)
    return " ".join(kept or words)[:200]


def registered_organisation(ico: str | None, name: str | None) -> str:
    """Which organisation a registration was made for, one key for the organisation limit, the
    training records and the annual report: its IČO, or without one ``organisation_key`` of its
    name ("Obec Kbelnice" and "KBELNICE" are one); "" when neither was given."""
    return (ico or "").strip() or organisation_key(name) or ""
