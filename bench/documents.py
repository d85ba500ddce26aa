"""PDF rendering: tickets per second through the render pool, next to one plain
WeasyPrint render of the same HTML (no pool, no stylesheet cache) in the same run;
and the attendance sheet of 300 people."""
import statistics
import time
from concurrent.futures import wait

from services.documents import render
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
    finally:
        executor.shutdown()
    return {
        "processes": processes, "tickets_per_second_pool": statistics.median(pooled),
        "plain_weasyprint_ms": 1000 * statistics.median(plain),
        "plain_weasyprint_per_second": 1 / statistics.median(plain),
        "attendance_sheet_300_seconds": statistics.median(sheets),
    }
