"""Emails of a seat handed to a substitute, and the webinar link of an online event."""
from datetime import timedelta

import pytest

from tests.unit.notifications.test_delivery import assert_valid_calendar, attachments, calendar_of, confirmed

WEBINAR = "https://meet.example.cz/smopk?pwd=tajne"


def substituted():
    told = confirmed(2, first_name="Petr", last_name="Dvořák", email="petr@obec.example")
    told["replaced"] = dict(confirmed(1)["registration"], status="substituted")
    return told


def test_the_substitute_gets_a_ticket_and_the_old_holder_is_told_once(notifications, sink):
    notifications.on_registration_substituted(substituted())
    notifications.on_registration_substituted(substituted())  # redelivered: nothing more
    by_recipient = {message["To"]: message for message in sink.messages()}
    assert set(by_recipient) == {"petr@obec.example", "jana1@obec.example"} and len(sink.messages()) == 2

    new = by_recipient["petr@obec.example"]
    assert new["Subject"] == "Jste přihlášeni místo kolegy: Odpady v obci"
    plain = new.get_body(("plain",)).get_content()
    assert "Jana Nováková vám předal(a) své místo" in plain and "https://akce.example/r/t2" in plain
    assert set(attachments(new)) == {"vstupenka-1.pdf", "pozvanka.ics"}
    assert str(calendar_of(new).walk("VEVENT")[0]["UID"]) == "prihlaska-2@smopk.example"
    assert_valid_calendar(new, "PUBLISH")
    [ticket_payload] = [call.args[0] for call in notifications.documents.render_ticket.call_args_list]
    assert ticket_payload["registration"]["id"] == 2

    old = by_recipient["jana1@obec.example"]
    assert old["Subject"] == "Místo předáno náhradníkovi: Odpady v obci"
    plain = old.get_body(("plain",)).get_content()
    assert "náhradníkovi: Petr Dvořák" in plain and "přestala platit" in plain
    assert set(attachments(old)) == {"zruseni.ics"}
    assert str(calendar_of(old).walk("VEVENT")[0]["UID"]) == "prihlaska-1@smopk.example"


def test_a_waiting_confirmation_of_the_old_holder_is_not_sent_after_the_handover(notifications, sink):
    sink.stop()
    notifications.on_registration_confirmed(confirmed(1))  # waits for a retry
    sink.start()
    notifications.on_registration_substituted(substituted())
    notifications.clock_state["now"] += timedelta(minutes=5)
    notifications.deliver_due()
    assert sorted(message["Subject"].split(":")[0] for message in sink.messages()) == [
        "Jste přihlášeni místo kolegy", "Místo předáno náhradníkovi"]


@pytest.mark.parametrize("kind, status, shown", [
    ("registration_confirmed", "confirmed", True),
    ("registration_promoted", "confirmed", True),
    ("reminder_due", "confirmed", True),
    ("registration_waitlisted", "waitlisted", False),
    ("registration_cancelled", "cancelled", False),
])
def test_the_webinar_link_is_in_the_emails_of_confirmed_attendees_only(notifications, sink, kind, status, shown):
    payload = confirmed(1, status=status, waitlist_position=2 if status == "waitlisted" else None,
                        webinar_url=WEBINAR if status == "confirmed" else None)
    payload["event"].update(format="online", venue="Online")
    getattr(notifications, f"on_{kind}")(payload)
    [message] = sink.messages()
    for part in (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()):
        assert "online (webinář)" in part
        assert ("meet.example.cz/smopk" in part) is shown
