"""The office's own texts of the emails: checked at saving, sandboxed, versioned, taken back, and
used only for emails queued after the save."""
import pytest
from jinja2.exceptions import SecurityError

from services.common.errors import NotFound, ValidationError
from services.notifications import texts
from tests.unit.notifications.test_delivery import confirmed

KEY = "registration_confirmed"


def test_every_default_text_passes_its_own_check():
    for key in texts.keys():
        texts.check(key, texts.default_body(key))
        assert {"registration", "event"} <= set(texts.variables(KEY))


@pytest.mark.parametrize("body", ["{{ ''.__class__ }}", "{{ registration.__class__.__mro__ }}",
                                  "{{ registration['__class__'] }}", "{{ greeting.__globals__ }}"])
def test_reading_the_internals_of_a_value_is_refused_at_saving(body):
    with pytest.raises(texts.TextRefused, match="vnitřní části"):
        texts.check(KEY, body)


def test_the_sandbox_refuses_internals_even_unchecked():
    with pytest.raises(SecurityError):
        texts.render_body("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_an_unknown_variable_is_refused_with_a_czech_message():
    with pytest.raises(texts.TextRefused) as refused:
        texts.check(KEY, "Dobrý den {{ jmeno }}, {{ registration.first_name }} {{ config }}")
    assert refused.value.message.startswith("Neznámé proměnné: config, jmeno.")


def test_a_syntax_error_names_its_line_in_czech():
    with pytest.raises(texts.TextRefused) as refused:
        texts.check(KEY, "Dobrý den,\n\n{% if registration.price %}\nzaplaťte\n")
    assert "Chyba v textu na řádku" in refused.value.message and "chybí {% endif %}" in refused.value.message


@pytest.mark.parametrize("body", ["{% extends 'layout.html' %}", "{% include 'registration_confirmed.html' %}",
                                  "{% import '_facts.txt' as f %}"])
def test_only_the_fixed_partials_may_be_included(body):
    with pytest.raises(texts.TextRefused):
        texts.check(KEY, body)


def test_the_html_part_escapes_the_text_and_links_addresses():
    html = texts.html_body("Ahoj <b>Jano</b> & spol.\nodkaz: https://akce.example/r/t1?a=1&b=2\n\nDruhý odstavec")
    assert "&lt;b&gt;Jano&lt;/b&gt; &amp; spol.<br>" in html
    assert '<a href="https://akce.example/r/t1?a=1&amp;b=2"' in html
    assert html.count("<p>") == 2


def test_history_and_the_way_back_to_the_default(notifications):
    assert notifications.get_text(KEY)["own"] is False
    assert notifications.save_text(KEY, "Nový text {{ event.title }}.", "jana@smopk.example")["version"] == 1
    notifications.save_text(KEY, "Ještě novější text {{ event.title }}.", "petr@smopk.example")
    shown = notifications.get_text(KEY)
    assert (shown["own"], shown["version"], shown["body"]) == (True, 2, "Ještě novější text {{ event.title }}.")
    assert [(v["version"], v["created_by"], v["active"]) for v in shown["history"]] == [
        (2, "petr@smopk.example", True), (1, "jana@smopk.example", False)]
    assert notifications.revert_text(KEY, "jana@smopk.example")["version"] == 3
    assert notifications.revert_text(KEY, "jana@smopk.example")["version"] is None  # the default already
    shown = notifications.get_text(KEY)
    assert shown["own"] is False and shown["body"] == texts.default_body(KEY)
    assert shown["history"][0]["default"] is True
    [listed] = [t for t in notifications.list_texts() if t["key"] == KEY]
    assert (listed["own"], listed["version"], listed["saved_by"]) == (False, 3, "jana@smopk.example")


def test_a_refused_text_saves_nothing(notifications):
    with pytest.raises(ValidationError) as refused:
        notifications.save_text(KEY, "{{ neznama }}", "jana@smopk.example")
    assert "Neznámé proměnné: neznama" in refused.value.fields["body"]
    assert notifications.get_text(KEY)["history"] == []
    with pytest.raises(NotFound):
        notifications.save_text("no_such_email", "text", "jana@smopk.example")


def test_the_new_text_is_only_for_emails_queued_after_the_save(notifications, sink):
    sink.stop()  # the first email waits in the queue while the text changes
    notifications.on_registration_confirmed(confirmed(1))
    notifications.save_text(KEY, "{{ greeting(registration.first_name, registration.last_name) }}\n\n"
                                 "NOVÉ ZNĚNÍ pro <{{ event.title }}>.\n{% include '_facts.txt' %}\n"
                                 "{{ registration.manage_url }}", "jana@smopk.example")
    notifications.on_registration_confirmed(confirmed(2))
    sink.start()
    notifications.clock_state["now"] = notifications.clock_state["now"].replace(hour=11)
    notifications.deliver_due()
    by_recipient = {m["To"]: m for m in sink.messages()}
    old, new = by_recipient["jana1@obec.example"], by_recipient["jana2@obec.example"]
    assert "NOVÉ ZNĚNÍ" not in old.get_body(("plain",)).get_content()
    assert "děkujeme za přihlášku" in old.get_body(("plain",)).get_content()
    plain, html = new.get_body(("plain",)).get_content(), new.get_body(("html",)).get_content()
    assert "NOVÉ ZNĚNÍ pro <Odpady v obci>." in plain and "Místo:  Plzeň" in plain
    assert "NOVÉ ZNĚNÍ pro &lt;Odpady v obci&gt;." in html and 'href="https://akce.example/r/t2"' in html
    assert "\n--\n" in plain.replace("\r\n", "\n")  # the fixed footer
    # What the console shows of a sent email is what it said, whatever was saved since.
    notifications.revert_text(KEY, "jana@smopk.example")
    shown = {m["to"]: notifications.message_content(m["id"])["text"] for m in notifications.list_messages()}
    assert "NOVÉ ZNĚNÍ" in shown["jana2@obec.example"] and "NOVÉ ZNĚNÍ" not in shown["jana1@obec.example"]


def test_preview_with_real_data_sends_nothing(notifications, sink):
    payload = confirmed(3)
    shown = notifications.preview_text(KEY, "Ukázka pro {{ registration.first_name }}", payload)
    assert shown["text"].startswith("Ukázka pro Jana") and "<p>Ukázka pro Jana</p>" in shown["html"]
    assert shown["subject"] == "Potvrzení přihlášky: Odpady v obci"
    assert sink.messages() == [] and notifications.list_messages() == []
    with pytest.raises(ValidationError, match="Ukázku s těmito údaji"):
        notifications.preview_text(KEY, "{{ registration.nonexistent_field }}", payload)


def test_a_text_whose_filter_fails_on_the_data_goes_with_the_default_and_its_preview_says_why(notifications, sink):
    # Checked at saving (known variables), yet ``day`` cannot read a name as a date: a ValueError,
    # not a TemplateError. The email still goes, with the default text; the preview says why.
    notifications.save_text(KEY, "Den: {{ registration.first_name | day }}", "jana@smopk.example")
    with pytest.raises(ValidationError, match="nejde použít"):
        notifications.preview_text(KEY, "Den: {{ registration.first_name | day }}", confirmed(4))
    notifications.on_registration_confirmed(confirmed(5))
    notifications.clock_state["now"] = notifications.clock_state["now"].replace(hour=11)
    notifications.deliver_due()
    [sent] = sink.messages()
    assert "děkujeme za přihlášku" in sent.get_body(("plain",)).get_content()
