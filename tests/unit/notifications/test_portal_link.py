"""The email with the one-time link to the municipality's page."""


def test_the_login_link_is_sent_once_per_link_with_its_time_and_escaped_names(notifications, sink):
    payload = {"message_id": "m-1", "link_id": 7, "email": "eva@plzen.example",
               "url": "https://akce.example/obec/prihlaseni/Zx9-kP2qLm7RtV4wYb8NcD1fGh6JsA0e",
               "expires_at": "2026-11-27T11:30:00+01:00", "organisation_name": "Obec <Dolní> Lhota",
               "first_name": "Eva", "last_name": "Nováková"}
    notifications.on_portal_link_requested(payload)
    notifications.on_portal_link_requested(dict(payload, message_id="m-2"))  # redelivered, re-relayed
    notifications.deliver_due()
    [message] = sink.messages()
    assert message["To"] == "eva@plzen.example" and message["Subject"] == "Přihlášení na stránku obce"
    plain, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert plain.startswith("Dobrý den, paní Nováková,")
    assert "Odkaz platí do 11:30 (30 minut) a lze ho použít jen jednou." in plain
    assert payload["url"] in plain and f'href="{payload["url"]}"' in html
    assert "Obec &lt;Dolní&gt; Lhota" in html and "<Dolní>" not in html
    notifications.on_portal_link_requested(dict(payload, link_id=8, message_id="m-3"))  # a new link: a new email
    notifications.deliver_due()
    assert len(sink.messages()) == 2
