# Run by `make shell` inside `nameko shell` (as PYTHONSTARTUP): ``n`` is already here.
from tools import personal_data
from tools.staff import (  # noqa: F401
    events_table,
    messages_table,
    progress,
    registrations_table,
    save_pdf,
    save_text,
    table,
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


print("Pomocníci: events(), who_comes(id), table(rows), save_pdf(dokument), save_text(text, soubor), "
      "messages_table(n.rpc.notifications.list_messages()), export_person(e-mail), erase_person(e-mail); "
      "návod: docs/staff-guide.md")
