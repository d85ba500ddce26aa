"""How a letter greets a person in Czech: in the vocative, or neutrally where the name does not tell.

Plain functions, shared by the emails (notifications) and the pages that address the person
by name (registrations' materials page), so both greet alike.
"""
import re

from vokativ import sex, vokativ

# Greetings. Czech letters address a person in the vocative: "pane Svobodo", "paní Svobodová" (a
# woman's surname keeps its form). vokativ (1.2.1) declines Czech names by their endings and guesses
# the sex from them; it declines any word it is given ("Smith" → "Smithe"), so names it cannot know
# get the neutral greeting rather than a guess that would read wrong.
NEUTRAL_GREETING = "Dobrý den,"
_CZECH_WORD = re.compile(r"[a-záčďéěíňóřšťúůýž]+(-[a-záčďéěíňóřšťúůýž]+)*")
# Spellings of other languages (Czech writes them otherwise: v, ks, s/š, f, k, ...): "Alex Smith",
# "Kim Nguyen", "Sasha Wagner" are greeted neutrally.
_FOREIGN_SPELLING = re.compile(r"[qwx]|th|sh|ph|ck|gh|ee|oo|uy|^ng")


def greeting(first_name: str | None, last_name: str | None = "") -> str:
    """The opening line of an email to a person: "Dobrý den, pane Svobodo," for a man,
    "Dobrý den, paní Svobodová," for a woman, "Dobrý den," when the name does not tell.

    The name tells when the first name and the surname are each one Czech word (a hyphenated
    surname too) and vokativ reads the same sex from both; a name in one field ("Petr Svoboda")
    is split at its last space. Anything else (one word, a foreign name, letters Czech does not
    have, a title or a digit, a woman's first name with a man's surname) greets neutrally."""
    first, last = " ".join(str(first_name or "").split()), " ".join(str(last_name or "").split())
    if not last and " " in first:
        first, last = first.rsplit(" ", 1)
    first = first.split(" ")[0]  # "Jan Pavel": the first of the given names tells the sex
    if not (_czech(first) and _czech(last)):
        return NEUTRAL_GREETING
    first_sex, surname_sexes = sex(first.lower()), {sex(part.lower()) for part in last.split("-")}
    if surname_sexes != {first_sex}:
        return NEUTRAL_GREETING
    if first_sex == "w":
        return f"Dobrý den, paní {_as_written(last.lower(), last)},"
    if "-" in last:  # which part a man's double surname declines is not for a rule to guess
        return NEUTRAL_GREETING
    return f"Dobrý den, pane {_as_written(str(vokativ(last.lower(), woman=False, last_name=True)), last)},"


def _czech(word: str) -> bool:
    lowered = word.lower()
    return bool(_CZECH_WORD.fullmatch(lowered)) and not _FOREIGN_SPELLING.search(lowered)


def _as_written(declined: str, written: str) -> str:
    """``declined`` (vokativ answers in lower case) in the capitals of ``written``; a name typed
    all in small or all in capital letters is written with a capital initial."""
    if written.islower() or written.isupper():
        return "-".join(part.capitalize() for part in declined.split("-"))
    return "".join(char.upper() if index < len(written) and written[index].isupper() else char
                   for index, char in enumerate(declined))
