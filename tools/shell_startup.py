# Run by `make shell` inside `nameko shell` (as PYTHONSTARTUP): ``n`` is already here.
from services.common.packed import pack
from tools import personal_data
from tools.staff import (  # noqa: F401
    accounting_table,
    events_table,
    messages_table,
    payments_table,
    progress,
    refunds_table,
    registrations_table,
    save_file,
    save_pdf,
    save_text,
    statement_summary,
    table,
    transactions_table,
)


def who_comes(event_id, status=None):
    """Who is registered for an event, as a table."""
    registrations_table(n.rpc.registrations.list_registrations(event_id, status))  # noqa: F821


def export_person(email):
    """Everything the system holds about a person (a data-protection request), from every service."""
    return personal_data.export_person(n.rpc, email)  # noqa: F821


def erase_person(email):
    """Erase a person from every service; the counts of what was erased."""
    return personal_data.erase_person(n.rpc, email)  # noqa: F821


def events():
    """Upcoming events, as a table."""
    events_table(n.rpc.registrations.list_events())  # noqa: F821


def unpaid(event_id=None):
    """Who has not paid yet (for one event, or for all), as a table."""
    payments_table(n.rpc.payments.unpaid(event_id))  # noqa: F821


def import_statement(path):
    """Import a bank statement file (camt.053 XML or GPC/ABO) and pair its payments."""
    with open(path, "rb") as statement:
        report = n.rpc.payments.import_statement(pack(statement.read()))  # noqa: F821
    return statement_summary(report)


def to_check():
    """Bank payments that could not be paired on their own, with the reason."""
    transactions_table(n.rpc.payments.to_check())  # noqa: F821


def certificates(event_id):
    """Who of an event gets a certificate by issue_certificates now, who waits for the payment, who
    has one (changes nothing; before the end it also says why it cannot be issued yet)."""
    plan = n.rpc.registrations.certificate_plan(event_id)  # noqa: F821
    if plan["refusal"]:
        print(plan["refusal"])
    table([{"kdo": person["name"], "osvědčení": label}
           for key, label in (("issue", "vydat"), ("waiting_payment", "čeká na platbu"), ("issued", "vydáno"))
           for person in plan[key]])


def refunds():
    """Paid registrations that were cancelled: money to send back."""
    refunds_table(n.rpc.payments.refunds_due())  # noqa: F821


def accounting(month, folder="ucetni"):
    """The accountant's export of ``month`` ("2028-04"): what it holds, and its files saved in
    ``folder``: the XML for POHODA (when the month has something to import), the XLSX workbook and
    the zip of its ISDOCs."""
    overview = n.rpc.payments.accounting_overview(month)  # noqa: F821
    accounting_table(overview)
    for kind in (["pohoda"] if overview["pohoda"] else []) + ["xlsx", "isdoc"]:
        save_file(n.rpc.payments.accounting_export(overview["month"], kind), folder)  # noqa: F821


print("Pomocníci: events(), who_comes(id), table(rows), save_pdf(dokument), save_text(text, soubor), "
      "messages_table(n.rpc.notifications.list_messages()), export_person(e-mail), erase_person(e-mail), "
      "unpaid(id), import_statement(soubor), to_check(), refunds(), certificates(id), accounting(\"2028-04\"); "
      "návod: docs/staff-guide.md")
