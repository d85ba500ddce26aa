"""PDF rendering: tickets per second through the render pool, next to one plain
WeasyPrint render of the same HTML (no pool, no stylesheet cache) in the same run;
and the attendance sheet of 300 people.

Stamped against full (``stamp.py``), in the same run and through the same pool: tickets (a
member's, and one with the payment box and its QR Platba) and invoices per second, each the
median of rounds, every document of a round another person of one event (its base page already
made in the workers); the first ticket of a new event (its base page rendered, then stamped)
apart, as the median of one a round; and the milliseconds of one document in this process."""
import statistics
import time
from concurrent.futures import wait

from services.documents import render, stamp
from services.documents.pool import make_executor
from services.documents.service import DocumentsService  # noqa: F401  (the templates' filters load with it)

TICKETS = 120


def ticket_context(n):
    return {
        "registration": {"id": n, "first_name": "Jiří", "last_name": f"Šťastný-Řeháček {n}",
                         "organisation_name": "Město Dobřany", "position": "účetní", "price": 1200, "is_member": False,
                         "ticket_code": f"T{n}-ABCDEFGHIJKLMNOP", "manage_url": f"https://akce.example/r/{n}"},
        "event": {"title": "Účetnictví obcí 2027", "kind": "training", "venue": "Rokycany, Masarykovo nám. 1",
                  "lecturer": "Ing. Žaneta Čermáková", "starts_at": "2026-12-08T09:00:00+01:00",
                  "ends_at": "2026-12-08T15:00:00+01:00"},
        "qr": render.qr_data_uri(f"T{n}-ABCDEFGHIJKLMNOP"), "organiser": "Sdružení měst a obcí Plzeňského kraje",
        "payment": None, "qr_platba": None,  # a member's ticket: nothing to pay
    }


def ticket(n, unpaid=False, event=None):
    """What render_ticket hands the pool for person ``n`` (``unpaid``: with the payment box)."""
    context = ticket_context(n)
    payment = None
    if unpaid:
        vs = f"{1000000000 + n}"
        payment = {"outstanding_halere": 150000, "account": "19-2000145399/0800", "iban": "CZ6508000000192000145399",
                   "variable_symbol": vs, "due_on": "2026-12-08",
                   "spd": f"SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:1500.00*CC:CZK*DT:20261208"
                          f"*MSG:{vs} Jiri Stastny-Rehacek {n} Mesto Dobrany*X-VS:{vs}"}
    return {"registration": context["registration"], "event": event or context["event"], "payment": payment,
            "organiser": context["organiser"]}


SUPPLIER = {"name": "Sdružení měst a obcí Plzeňského kraje, z. s.", "address": "Kopeckého sady 11, 301 00 Plzeň",
            "ico": "12345678", "dic": None,
            "register_entry": "zapsaný ve spolkovém rejstříku vedeném Krajským soudem v Plzni, oddíl L, vložka 123",
            "iban": "CZ6508000000192000145399", "bic": "GIBACZPX", "account": "19-2000145399/0800",
            "email": "akce@smopk.example", "phone": None, "vat_payer": False}


def invoice(n):
    """An invoice for one participant, as payments makes it (bench.payments' own imports the tests'
    configuration, which patches this process for eventlet)."""
    from datetime import datetime

    from services.payments import domain

    request = {"amount_halere": 90000, "paid_halere": 0, "event_title": "Účetnictví obcí 2027",
               "event_starts_at": datetime.fromisoformat("2026-12-08T09:00:00+01:00"),
               "payer_name": f"Jana Nováková {n}"}
    vs = domain.registration_vs(n)
    return {"number": f"FV-2026-{n:04d}", "kind": "invoice", "uuid": "00000000-0000-4000-8000-000000000000",
            "corrects": None, "issued_on": "2026-11-27", "taxable_on": "2026-11-27", "due_on": "2026-12-08",
            "variable_symbol": vs, "currency": "CZK", "supplier": SUPPLIER,
            "customer": {"name": f"Obec {n}", "address": "Náves 1, 330 01 Dolní Lhota", "ico": "00257001",
                         "dic": None, "email": None},
            "items": [domain.invoice_item(request, 0)], "total_halere": 90000, "vat_lines": [],
            "vat_note": domain.NOT_A_VAT_PAYER,
            "spd": domain.spd({"iban": SUPPLIER["iban"], "bic": SUPPLIER["bic"]}, 90000, vs, "faktura"),
            "reason": None}


def sheet_context():
    names = ["Zelený", "Čermák", "Cibulka", "Chalupa", "Hrubý", "Řezáč", "Rybář", "Šťastný", "Svoboda", "Žák"]
    event = dict(ticket_context(0)["event"], accreditation_number="AK/PV-1/2026")
    people = [{"first_name": "Jana", "last_name": f"{names[n % 10]} {n}", "organisation_name": f"Obec {n}",
               "position": "účetní"} for n in range(300)]
    return {"event": event, "attendees": people, "organiser": "Sdružení měst a obcí Plzeňského kraje"}


def plain_weasyprint(context):
    """What rendering costs without the project's pool and stylesheet cache."""
    from weasyprint import HTML
    html = render.render_html("ticket.html", context)
    return HTML(string=html, base_url="file://" + render.TEMPLATES + "/").write_pdf()


def measure(processes=2, rounds=3):
    plain = []
    render.warm_up()
    for n in range(10):
        started = time.perf_counter()
        plain_weasyprint(ticket_context(n))
        plain.append(time.perf_counter() - started)
    executor = make_executor(processes)
    try:
        wait([executor.submit(render.render_pdf, "ticket.html", ticket_context(n)) for n in range(processes * 2)])
        pooled, sheets = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            futures = [executor.submit(render.render_pdf, "ticket.html", ticket_context(n)) for n in range(TICKETS)]
            for future in futures:
                future.result()
            pooled.append(TICKETS / (time.perf_counter() - started))
            started = time.perf_counter()
            executor.submit(render.render_pdf, "attendance_sheet.html", sheet_context()).result()
            sheets.append(time.perf_counter() - started)
        stamped = stamped_against_full(executor, processes, rounds)
    finally:
        executor.shutdown()
    return {
        "processes": processes, "tickets_per_second_pool": statistics.median(pooled),
        "plain_weasyprint_ms": 1000 * statistics.median(plain),
        "plain_weasyprint_per_second": 1 / statistics.median(plain),
        "attendance_sheet_300_seconds": statistics.median(sheets),
        **stamped, **one_at_a_time(),
    }


def per_second(executor, function, documents, rounds):
    """Documents a second through the pool: the median of ``rounds`` rounds of all ``documents``."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for future in [executor.submit(function, document) for document in documents]:
            future.result()
        rates.append(len(documents) / (time.perf_counter() - started))
    return statistics.median(rates)


def stamped_against_full(executor, processes, rounds):
    kinds = {"tickets": [ticket(n) for n in range(TICKETS)],
             "unpaid_tickets": [ticket(n, unpaid=True) for n in range(TICKETS)],
             "invoices": [invoice(n) for n in range(1, TICKETS + 1)]}
    functions = {"tickets": (stamp.render_ticket, stamp.full_ticket),
                 "unpaid_tickets": (stamp.render_ticket, stamp.full_ticket),
                 "invoices": (stamp.render_invoice, stamp.full_invoice)}
    results = {}
    for kind, documents in kinds.items():
        stamped, full = functions[kind]
        # every worker makes the base pages (and proves the documents are stamped, not rendered in full)
        ways = {future.result()[1] for future in [executor.submit(stamped, d) for d in documents[:processes * 8]]}
        assert ways == {stamp.STAMPED}, (kind, ways)
        results[f"{kind}_per_second_stamped"] = per_second(executor, stamped, documents, rounds)
        results[f"{kind}_per_second_full"] = per_second(executor, full, documents, rounds)
        results[f"{kind}_ratio"] = results[f"{kind}_per_second_stamped"] / results[f"{kind}_per_second_full"]
    firsts = []
    for round_ in range(rounds):  # a ticket of a new event: its base rendered, then stamped
        event = dict(ticket_context(0)["event"], title=f"Účetnictví obcí 2027, běh {round_} {time.time()}")
        started = time.perf_counter()
        executor.submit(stamp.render_ticket, ticket(round_, event=event)).result()
        firsts.append(time.perf_counter() - started)
    results["ticket_first_of_event_ms"] = 1000 * statistics.median(firsts)
    return results


def one_at_a_time(count=20):
    """Milliseconds of one document in this process, stamped and in full (medians, after a warm-up)."""
    def median_ms(function, documents):
        function(documents[0])
        seconds = []
        for document in documents[1:]:
            started = time.perf_counter()
            function(document)
            seconds.append(time.perf_counter() - started)
        return 1000 * statistics.median(seconds)

    tickets = [ticket(n) for n in range(count + 1)]
    unpaid = [ticket(n, unpaid=True) for n in range(count + 1)]
    invoices = [invoice(n) for n in range(1, count + 2)]
    return {"ticket_ms_stamped": median_ms(stamp.render_ticket, tickets),
            "ticket_ms_full": median_ms(stamp.full_ticket, tickets),
            "unpaid_ticket_ms_stamped": median_ms(stamp.render_ticket, unpaid),
            "unpaid_ticket_ms_full": median_ms(stamp.full_ticket, unpaid),
            "invoice_ms_stamped": median_ms(stamp.render_invoice, invoices),
            "invoice_ms_full": median_ms(stamp.full_invoice, invoices)}


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
