"""Payments: a camt.053 statement of 10,000 lines imported through the use case (parse, match,
record, outbox) against 10,000 open payment requests, then the same statement again (every line
a duplicate); and invoices rendered per second next to tickets in the same run.

    .venv/bin/python -m bench.payments
"""
import statistics
import tempfile
import time
from datetime import UTC, datetime

from bench.statements import median_parse_seconds
from services.common.db import Database
from services.common.outbox import Outbox
from services.common.unit_of_work import unit_of_work
from services.documents import render
from services.payments import domain, statements, store, usecases
from services.payments import settings as payment_settings
from tests.conftest import load_config
from tests.statements import camt053

LINES = 10_000
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EVENT = {"id": 1, "title": "Účetnictví obcí 2027", "version": 1, "kind": "training",
         "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T15:00:00+01:00", "venue": "Rokycany"}


def _payload(n):
    return {"registration": {"id": n, "status": "confirmed", "first_name": "Jana", "last_name": f"Nováková {n}",
                             "email": f"jana{n}@obec.example", "price": 900, "is_member": True,
                             "organisation_ico": None, "organisation_name": f"Obec {n}"}, "event": EVENT}


def statement_import(url=None, count=LINES):
    """Seconds to import ``count`` lines paying as many requests, and to import them again."""
    with tempfile.TemporaryDirectory(prefix="smopk-bench-payments-") as folder:  # removed afterwards
        return _statement_import(url or f"sqlite:///{folder}/payments.sqlite", count)


def _statement_import(url, count):
    database = Database(url, store.metadata)
    database.create_schema("payments")
    settings = payment_settings.load(load_config())
    outbox = Outbox(store.outbox, wake=lambda: None)
    with unit_of_work(database, lambda: NOW, outbox) as uow:
        for n in range(1, count + 1):
            usecases.request_payment(uow, settings, _payload(n), "registration_confirmed")
    lines = [{"bank_id": f"B{n}", "amount_halere": 90000 if n % 10 else 50000,
              "variable_symbol": domain.registration_vs(n) if n % 50 else "999", "counter_name": f"Obec {n}"}
             for n in range(1, count + 1)]
    data = camt053(lines)
    timings = {}
    for label in ("first", "again"):
        started = time.perf_counter()
        parsed = statements.parse_statement(data)
        with unit_of_work(database, lambda: NOW, outbox) as uow:
            summary = usecases.import_transactions(uow, settings, parsed["transactions"], "camt.053")
        timings[label] = time.perf_counter() - started
        timings[f"{label}_summary"] = summary
    database.dispose()
    return {"lines": count, "import_seconds": timings["first"], "import_again_seconds": timings["again"],
            "summary": timings["first_summary"], "parse_seconds": median_parse_seconds(data, count, rounds=3),
            "megabytes": len(data) / 1e6}


def invoice_document(n):
    settings = payment_settings.load(load_config())
    request = {"amount_halere": 90000, "paid_halere": 0, "event_title": EVENT["title"],
               "event_starts_at": datetime.fromisoformat(EVENT["starts_at"]), "payer_name": f"Jana Nováková {n}"}
    items = [domain.invoice_item(request, 0)]
    return {"number": f"FV-2026-{n:04d}", "kind": "invoice", "uuid": "00000000-0000-4000-8000-000000000000",
            "corrects": None, "issued_on": "2026-11-27", "taxable_on": "2026-11-27", "due_on": "2026-12-08",
            "variable_symbol": domain.registration_vs(n), "currency": "CZK", "supplier": settings.supplier,
            "customer": {"name": f"Obec {n}", "address": "Náves 1, 330 01 Dolní Lhota", "ico": "00257001",
                         "dic": None, "email": None},
            "items": items, "total_halere": 90000, "vat_lines": [], "vat_note": domain.NOT_A_VAT_PAYER,
            "spd": domain.spd(settings.account, 90000, domain.registration_vs(n), "faktura", None),
            "reason": None}


def render_rates(rounds=20):
    """Invoices and tickets rendered one after another in this process (after a warm-up each)."""
    from bench.documents import ticket_context

    def median_ms(template, contexts):
        render.render_pdf(template, contexts[0])
        seconds = []
        for context in contexts[1:]:
            started = time.perf_counter()
            render.render_pdf(template, context)
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds) * 1000

    invoices = [{"invoice": doc, "qr": render.qr_data_uri(doc["spd"])}
                for doc in (invoice_document(n) for n in range(1, rounds + 2))]
    invoice_ms = median_ms("invoice.html", invoices)
    ticket_ms = median_ms("ticket.html", [dict(ticket_context(n), payment=None, qr_platba=None)
                                          for n in range(1, rounds + 2)])
    return {"invoice_ms": invoice_ms, "invoices_per_second": 1000 / invoice_ms, "ticket_ms": ticket_ms,
            "ratio_to_ticket": invoice_ms / ticket_ms}


def measure(url=None):
    return dict(statement=statement_import(url), rendering=render_rates())


def main():
    results = measure()
    s, r = results["statement"], results["rendering"]
    print(f"camt.053 of {s['lines']:,} lines ({s['megabytes']:.1f} MB): imported in {s['import_seconds']:.2f} s "
          f"(parse alone {s['parse_seconds']:.2f} s), again in {s['import_again_seconds']:.2f} s; {s['summary']}")
    print(f"invoices: {r['invoices_per_second']:.1f}/s ({r['invoice_ms']:.0f} ms each), "
          f"{r['ratio_to_ticket']:.2f}x a ticket ({r['ticket_ms']:.0f} ms)")


if __name__ == "__main__":
    main()
