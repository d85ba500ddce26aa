"""Helpers for the staff shell (`make shell`): tables, PDFs to files, progress.

They take what ``n.rpc`` returns and make it pleasant to read; ``n.rpc`` stays
as it is. In the shell they are already loaded:

    >>> who_comes(1)
    >>> save_pdf(n.rpc.documents.render_attendance_sheet(1))
"""
import base64
import os
import sys
import unicodedata
from datetime import datetime

from services.common.czech import date_time, money


def _width(text):
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def table(rows, columns=None, headers=None, file=None):
    """Print dicts as an aligned table; ``columns`` picks and orders the keys."""
    file = file or sys.stdout
    rows = list(rows)
    if not rows:
        print("(nic)", file=file)
        return
    columns = columns or list(rows[0])
    headers = headers or columns
    cells = [["" if row.get(column) is None else str(row.get(column)) for column in columns] for row in rows]
    widths = [max([_width(header)] + [_width(line[i]) for line in cells]) for i, header in enumerate(headers)]

    def line(values):
        return "  ".join(value + " " * (width - _width(value)) for value, width in zip(values, widths, strict=True))
    print(line(headers).rstrip(), file=file)
    print("  ".join("-" * width for width in widths), file=file)
    for values in cells:
        print(line(values).rstrip(), file=file)


def save_pdf(document, folder="."):
    """Write a PDF as the documents service returns it to ``folder``; returns the path."""
    return save_file(document, folder)


def save_file(document, folder="."):
    """Write any file as the services return it (``filename``, ``data`` in base64: a PDF, an
    ISDOC, the accountant's XML, XLSX or zip) to ``folder``; returns the path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, document["filename"])
    with open(path, "wb") as out:
        out.write(base64.b64decode(document["data"]))
    print(f"Uloženo: {path}")
    return path


def save_text(text, path):
    """Write text (for example the CSV export) to a file; returns the path."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    print(f"Uloženo: {path}")
    return path


def progress(items, label=""):
    """Yield ``items`` while drawing a progress bar on stderr (for long loops)."""
    items = list(items)
    total = len(items) or 1
    for index, item in enumerate(items, start=1):
        yield item
        done = int(30 * index / total)
        sys.stderr.write(f"\r{label} [{'#' * done}{'.' * (30 - done)}] {index}/{len(items)}")
        sys.stderr.flush()
    sys.stderr.write("\n")


STATUS = {"confirmed": "potvrzeno", "waitlisted": "čeká", "cancelled": "zrušeno",
          "substituted": "předáno náhradníkovi"}
EVENT_STATUS = {"draft": "koncept", "published": "zveřejněno", "cancelled": "zrušeno"}


def registrations_table(registrations):
    """The registrations of an event as the staff read them."""
    rows = [{
        "id": r["id"], "jméno": f"{r['last_name']} {r['first_name']}", "organizace": r["organisation_name"] or "",
        "stav": STATUS.get(r["status"], r["status"]) + (f" {r['waitlist_position']}." if r["waitlist_position"]
                                                         else ""),
        "cena": r["price"], "check-in": date_time_or_empty(r["checked_in_at"]),
    } for r in registrations]
    table(rows)


def date_time_or_empty(value):
    return date_time(datetime.fromisoformat(value)) if value else ""


def events_table(events):
    table([{"id": e["id"], "začátek": date_time_or_empty(e["starts_at"]), "název": e["title"],
            "volno": e["seats_left"], "kapacita": e["capacity"], "stav": EVENT_STATUS.get(e["status"], e["status"])}
           for e in events])


def messages_table(messages):
    table([{"id": m["id"], "druh": m["kind"], "komu": m["to"], "stav": m["status"], "pokusy": m["attempts"],
            "chyba": (m["last_error"] or "")[:60]} for m in messages])


def _plain(text):
    """Amounts keep their non-breaking spaces on paper; in a terminal table, plain ones."""
    return text.replace("\u00a0", " ") if isinstance(text, str) else text


def payments_table(requests):
    """Payment requests (``n.rpc.payments.unpaid()``): who, symbol, what is owed, by when."""
    table([{"přihláška": p["registration_id"], "kdo": p["payer_name"], "VS": p["variable_symbol"],
            "dluží": _plain(p["owed"]), "splatnost": p["due_on"], "faktury": ", ".join(p["invoices"])}
           for p in requests])


def transactions_table(lines):
    """Bank lines waiting for a person (``n.rpc.payments.to_check()``), with the reason."""
    table([{"id": t["id"], "den": t["booked_on"], "částka": _plain(t["amount"]), "VS": t["variable_symbol"] or "",
            "plátce": t["counter_name"] or "", "důvod": _plain(t["reason"] or "")} for t in lines])


def refunds_table(refunds):
    """Money to send back (``n.rpc.payments.refunds_due()``)."""
    table([{"id": r["id"], "kdo": r["payer_name"], "akce": r["event_title"], "VS": r["variable_symbol"],
            "částka": _plain(r["amount"])} for r in refunds])


def accounting_table(overview):
    """What a month's export for the accountant holds (``n.rpc.payments.accounting_overview``)."""
    totals, counts = overview["totals"], overview["totals"]["counts"]
    print(f"Podklady pro účetní: {overview['name']}")
    rows = [("faktury", counts["invoices"], totals["invoices"]),
            ("dobropisy", counts["credit_notes"], totals["credit_notes"]),
            ("doklady celkem", counts["invoices"] + counts["credit_notes"], totals["documents"]),
            ("platby z banky", counts["bank"], totals["bank"]), ("platby mimo banku", counts["other"], totals["other"]),
            ("nezaplacené faktury", counts["unpaid"], totals["unpaid"]),
            ("vratky", counts["refunds"], totals["refunds"])]
    table([{"co": label, "počet": count, "částka": _plain(money(amount))} for label, count, amount in rows])


def statement_summary(report):
    return (f"Výpis {report['format']}: řádků {report['lines']}, spárováno {report['matched']}, "
            f"ke kontrole {report['to_check']}, již nahraných {report['duplicates']}, ostatních {report['ignored']}")
