"""Emails to the people of one event (``attendees_messaged``): paced, each once, each their own link."""
from datetime import timedelta

from tests.unit.notifications.conftest import NOW

EVENT = {"id": 7, "version": 1, "title": "Odpady v obci", "kind": "seminar", "venue": "Plzeň",
         "lecturer": "Ing. Eva Malá", "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T13:00:00+01:00"}


SURNAMES = ("Nováková", "Veselá", "Malá", "Černá")


def told(purpose, people, batch="b1", **extra):
    return dict({"message_id": f"m-{batch}", "batch_id": batch, "purpose": purpose, "event": EVENT,
                 "registration_ids": people, "recipients": [
                     {"id": n, "first_name": "Jana", "last_name": SURNAMES[(n - 1) % 4],
                      "email": f"jana{n}@obec.example",
                      "link": f"https://akce.example/{purpose}/{n}-x" if purpose != "message" else None}
                     for n in people]}, **extra)


def test_a_message_is_paced_and_sent_to_each_once_however_often_delivered(notifications, sink):
    payload = told("message", [1, 2, 3, 4], subject="Změna sálu <b>2</b>", text="Dobrý den,\n\nsál 2.")
    notifications.on_attendees_messaged(payload)
    notifications.on_attendees_messaged(payload)  # redelivered
    notifications.deliver_due()
    assert len(sink.messages()) == 1  # the first now, the rest at two a second, as announcements
    notifications.clock_state["now"] = NOW + timedelta(seconds=10)
    notifications.deliver_due()
    notifications.on_attendees_messaged(payload)  # and once more after sending
    notifications.deliver_due()
    messages = sink.messages()
    assert sorted(m["To"] for m in messages) == [f"jana{n}@obec.example" for n in range(1, 5)]
    first = next(m for m in messages if m["To"] == "jana1@obec.example")
    assert first["Subject"] == "Změna sálu <b>2</b>"
    html = first.get_body(("html",)).get_content()
    assert "<p>sál 2.</p>" in html and "<strong>Odpady v obci</strong>" in html
    assert "Dobrý den, paní Nováková," in first.get_body(("plain",)).get_content()
    # a second message of staff to the same people is another email
    notifications.on_attendees_messaged(told("message", [1], batch="b2", subject="Ještě", text="Káva."))
    notifications.clock_state["now"] = NOW + timedelta(seconds=20)
    notifications.deliver_due()
    assert len(sink.messages()) == 5


def test_materials_and_feedback_carry_each_persons_link_once_per_registration(notifications, sink):
    notifications.on_attendees_messaged(told("materials", [1, 2]))
    notifications.on_attendees_messaged(told("materials", [2], batch="b2"))  # told again: not sent again
    notifications.on_attendees_messaged(told("feedback", [1]))
    notifications.clock_state["now"] = NOW + timedelta(seconds=10)
    notifications.deliver_due()
    by_subject = sorted((m["Subject"], m["To"]) for m in sink.messages())
    assert by_subject == [("Podklady z akce: Odpady v obci", "jana1@obec.example"),
                          ("Podklady z akce: Odpady v obci", "jana2@obec.example"),
                          ("Zpětná vazba: Odpady v obci", "jana1@obec.example")]
    materials = next(m for m in sink.messages() if m["To"] == "jana2@obec.example")
    assert "https://akce.example/materials/2-x" in materials.get_body(("plain",)).get_content()
    assert 'href="https://akce.example/materials/2-x"' in materials.get_body(("html",)).get_content()
    assert not list(materials.iter_attachments())
