"""Czech alphabetical order, as a sort key.

The Czech alphabet orders ``č`` after ``c``, ``ch`` after ``h``, ``ř`` after
``r``, ``š`` after ``s`` and ``ž`` after ``z``; the other accents (á, é, ě,
í, ó, ú, ů, ý, ď, ť, ň) only decide between words that are otherwise equal.
"""
import unicodedata

_ALPHABET = ["a", "b", "c", "č", "d", "e", "f", "g", "h", "ch", "i", "j", "k", "l", "m", "n", "o", "p", "q",
             "r", "ř", "s", "š", "t", "u", "v", "w", "x", "y", "z", "ž"]
_PRIMARY = {letter: index for index, letter in enumerate(_ALPHABET)}
_OWN_LETTERS = {"č", "ř", "š", "ž"}


def _letters(text):
    """Lower-case letters of ``text``, with ``ch`` as one letter; other characters are skipped."""
    text = unicodedata.normalize("NFC", text.casefold())
    index = 0
    while index < len(text):
        if text.startswith("ch", index):
            yield "ch"
            index += 2
            continue
        char = text[index]
        index += 1
        if char.isalnum():
            yield char


def _base(letter):
    if letter == "ch" or letter in _OWN_LETTERS:
        return letter
    decomposed = unicodedata.normalize("NFD", letter)
    return decomposed[0]


def sort_key(text: str):
    """Key for ``sorted`` that puts Czech words in dictionary order."""
    letters = list(_letters(text or ""))
    primary = tuple(_PRIMARY.get(_base(letter), 100 + ord(_base(letter)[0])) for letter in letters)
    secondary = tuple(0 if _base(letter) == letter else 1 for letter in letters)
    return primary, secondary, text or ""
