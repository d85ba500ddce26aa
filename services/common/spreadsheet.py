"""CSV that Czech Excel opens as it is, and that cannot run anything there.

Guarantee: a cell whose text a spreadsheet would read as a formula (it begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
leading apostrophe, so ``=HYPERLINK(…)`` typed into a registration form shows
as text in the office's Excel, never as a live link or a command (OWASP's
advice for CSV injection). Numbers are written as numbers.
"""
import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """``value`` as a cell: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """UTF-8 with BOM, ``;`` between cells, CRLF between rows: how Czech Excel reads CSV."""
    return "\ufeff" + csv_rows([header]) + csv_rows(rows)


def csv_rows(rows: Iterable[Sequence[object]]) -> str:
    """``rows`` as ``csv_text`` writes them, without the BOM and the header: the next chunk of a
    CSV sent a part at a time."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


class UnreadableText(ValueError):
    """A file that is no text in UTF-8 or Windows-1250; ``line`` is where it first goes wrong
    (1-based) and ``message`` says so in Czech."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.message = (f"Soubor nelze přečíst: na řádku {line} jsou znaky, které nejsou v kódování UTF-8 "
                        f"ani Windows-1250. Uložte ho prosím z Excelu jako „CSV UTF-8“ nebo "
                        f"„CSV (oddělený středníkem)“; nic nebylo nahráno.")
        super().__init__(self.message)


def garbled_line(text: str) -> int | None:
    """The first line (1-based) holding a character no spreadsheet of names and addresses has:
    U+FFFD (left by an earlier conversion that lost bytes), a C1 control character (U+0080 to
    U+009F, what a mislabelled file turns into) or another control character than tab and line
    breaks (a binary file such as .xlsx); None when the text is clean."""
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines: it splits at U+0085
        if any(character == "\ufffd" or (unicodedata.category(character) == "Cc" and character not in "\t\r")
               for character in line):
            return number
    return None


CZECH_LETTERS = frozenset("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ")


def _line_at(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def spreadsheet_text(data: bytes) -> str:
    """The text of a CSV file as Czech Excel saves it: UTF-8 (with or without BOM), else
    Windows-1250 ("CSV (oddělený středníkem)" on a Czech Windows). Both are tried strictly.
    Raises ``UnreadableText`` naming the line, so that no ``�`` is ever stored, for bytes that
    are neither; for UTF-8 broken somewhere (its Czech letters read as UTF-8 elsewhere in the
    file: read as Windows-1250 they would turn into "Ĺ™"); and for text holding U+FFFD or C1
    control characters (``garbled_line``)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        if CZECH_LETTERS & set(data.decode("utf-8", errors="replace")):
            raise UnreadableText(_line_at(data, utf8_error.start)) from None
        try:
            text = data.decode("cp1250")
        except UnicodeDecodeError as error:
            raise UnreadableText(_line_at(data, error.start)) from None
    line = garbled_line(text)
    if line is not None:
        raise UnreadableText(line)
    return text
