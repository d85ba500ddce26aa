"""The summary to whoever registered several colleagues, and why a colleague waits."""
from tests.unit.notifications.test_delivery import confirmed


def summary(*registrations):
    return {"event": confirmed()["event"], "registrant": {"first_name": "Eva", "last_name": "Tajemnice",
                                                          "email": "eva@obec.example"},
            "registrations": list(registrations), "message_id": "group-1"}


def test_one_summary_with_every_manage_link_sent_once(notifications, sink):
    payload = summary(confirmed(1, status="confirmed")["registration"],
                      confirmed(2, status="waitlisted", waitlist_position=4, last_name="<Malá>")["registration"])
    notifications.on_colleagues_registered(payload)
    notifications.on_colleagues_registered(payload)  # redelivered
    notifications.deliver_due()
    [message] = sink.messages()
    assert message["To"] == "eva@obec.example" and message["Subject"] == "Přihlášení kolegové: Odpady v obci"
    plain, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert "Jana Nováková (jana1@obec.example): potvrzeno" in plain
    assert "Jana <Malá> (jana2@obec.example): čekací listina, 4. v pořadí" in plain
    assert "&lt;Malá&gt;" in html and "<Malá>" not in html
    for link in ("https://akce.example/r/t1", "https://akce.example/r/t2"):
        assert link in plain and link in html
    assert not list(message.iter_attachments())


def test_a_colleague_waiting_for_the_organisations_limit_is_told_so(notifications, sink):
    payload = confirmed(1, waitlist_position=1)
    payload["event"]["seats_left"] = 5
    notifications.on_registration_waitlisted(payload)
    full = confirmed(2, waitlist_position=2)
    full["event"]["seats_left"] = 0
    notifications.on_registration_waitlisted(full)
    texts = {m["To"]: m.get_body(("plain",)).get_content() for m in sink.messages()}
    assert "kolik dovoluje její limit" in texts["jana1@obec.example"]
    assert "akce je zatím plně obsazená" in texts["jana2@obec.example"]
