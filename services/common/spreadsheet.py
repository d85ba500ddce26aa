"""CSV that Czech Excel opens as it is, and that cannot run anything there.

Guarantee: a cell whose text a spreadsheet would read as a formula (it begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
leading apostrophe, so ``=HYPERLINK(…)`` typed into a registration form shows
as text in the office's Excel, never as a live link or a command (OWASP's
advice for CSV injection). Numbers are written as numbers.
"""
import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """``value`` as a cell: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header, rows) -> str:
    """UTF-8 with BOM, ``;`` between cells, CRLF between rows: how Czech Excel reads CSV."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return "\ufeff" + out.getvalue()
