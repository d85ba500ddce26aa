"""The office's text of the certificate: checked at saving, sandboxed, versioned, taken back; a
certificate keeps the wording it was issued with (opened again or as a duplicate), and a preview
takes no number."""
import pytest
from jinja2.exceptions import SecurityError

from services.common.errors import NotFound, ValidationError
from services.documents import texts
from tests.helpers import pdf_text
from tests.unit.documents.test_sheets_and_certificates import NOW, documents, pdf, person  # noqa: F401

KEY = "certificate"
ISSUED = {"attended_at": NOW.isoformat(), "certificate_sent_at": NOW.isoformat()}
NEW = ('Potvrzujeme, že\n{% include "_holder" %}\núspěšně absolvoval(a) NOVÉ ZNĚNÍ programu\n'
       '{% include "_programme" %}\nv rozsahu {{ hours | teaching_hours }}.\n{% include "_facts" %}\n\n'
       'Děkujeme za účast. {{ organiser }}')


def words(answer):
    return " ".join(pdf_text(pdf(answer)).split())


def test_the_default_text_passes_its_own_check_and_keeps_the_former_wording():
    texts.check(KEY, texts.default_body())
    made = texts.segments(texts.default_body(), {})
    assert made == [{"html": "<p>Osvědčuje se, že</p>"}, {"block": "holder"},
                    {"html": "<p>absolvoval(a) vzdělávací program</p>"}, {"block": "programme"}, {"block": "facts"}]


@pytest.mark.parametrize("body", ["{{ ''.__class__ }}", "{{ registration.__class__.__mro__ }}",
                                  "{{ registration['__class__'] }}"])
def test_reading_the_internals_of_a_value_is_refused_at_saving(body):
    with pytest.raises(texts.TextRefused, match="vnitřní části"):
        texts.check(KEY, body + texts.default_body())


def test_the_sandbox_refuses_internals_even_unchecked():
    with pytest.raises(SecurityError):
        texts.segments("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_unknown_variables_and_syntax_errors_are_refused_in_czech():
    with pytest.raises(texts.TextRefused) as refused:
        texts.check(KEY, texts.default_body() + "{{ jmeno }} {{ registration.first_name }} {{ config }}")
    assert refused.value.message.startswith("Neznámé proměnné: config, jmeno. Osvědčení dostává jen: days_attended,")
    with pytest.raises(texts.TextRefused) as broken:
        texts.check(KEY, texts.default_body() + "\n{% if event.lecturer %}\nlektor")
    assert "Chyba v textu na řádku 8" in broken.value.message and "chybí {% endif %}" in broken.value.message


@pytest.mark.parametrize("body, says", [
    ('{% include "_holder" %}{% include "_programme" %}', 'obsahovat {% include "_facts" %} právě jednou'),
    ('{% include "_holder" %}{% include "_holder" %}{% include "_programme" %}{% include "_facts" %}', "teď 2×"),
    ('{% if registration.birth_date %}{% include "_holder" %}{% endif %}{% include "_programme" %}'
     '{% include "_facts" %}', "uvnitř {% if %}"),
    ('{% include "certificate.html" %}', "vložit lze jen _holder nebo _programme nebo _facts"),
    ("{% extends 'certificate.html' %}", "extends a import"),
    ("Ahoj \ue000holder\ue001", "nepovolené znaky"),
    ("   ", "nesmí být prázdný"),
])
def test_the_fixed_facts_cannot_be_left_out_hidden_or_doubled(body, says):
    with pytest.raises(texts.TextRefused, match=None) as refused:
        texts.check(KEY, body)
    assert says in refused.value.message


def test_the_text_is_escaped_a_paragraph_per_block():
    made = texts.segments('<b>Ahoj</b> & spol.\ndruhý řádek\n\n{% include "_holder" %} a dál', {})
    assert made == [{"html": "<p>&lt;b&gt;Ahoj&lt;/b&gt; &amp; spol.<br>druhý řádek</p>"}, {"block": "holder"},
                    {"html": "<p>a dál</p>"}]


def test_history_and_the_way_back_to_the_default(documents):  # noqa: F811
    service = documents([])
    assert service.get_text(KEY)["own"] is False and service.get_text(KEY)["body"] == texts.default_body()
    assert service.save_text(KEY, NEW, "jana@smopk.example")["version"] == 1
    assert service.save_text(KEY, NEW + " Znovu.", "petr@smopk.example")["version"] == 2
    shown = service.get_text(KEY)
    assert (shown["own"], shown["version"], shown["body"]) == (True, 2, NEW + " Znovu.")
    assert [(v["version"], v["created_by"], v["active"]) for v in shown["history"]] == [
        (2, "petr@smopk.example", True), (1, "jana@smopk.example", False)]
    assert {v["name"] for v in shown["variables"]} >= {"registration", "event", "hours", "number"}
    assert service.revert_text(KEY, "jana@smopk.example")["version"] == 3
    assert service.revert_text(KEY, "jana@smopk.example")["version"] is None  # the default already
    shown = service.get_text(KEY)
    assert shown["own"] is False and shown["body"] == texts.default_body() and shown["history"][0]["default"]
    [listed] = service.list_texts()
    assert (listed["key"], listed["own"], listed["version"], listed["saved_by"]) == (
        KEY, False, 3, "jana@smopk.example")


def test_a_refused_text_saves_nothing(documents):  # noqa: F811
    service = documents([])
    with pytest.raises(ValidationError) as refused:
        service.save_text(KEY, texts.default_body() + "{{ neznama }}", "jana@smopk.example")
    assert "Neznámé proměnné: neznama" in refused.value.fields["body"]
    assert service.get_text(KEY)["history"] == []
    with pytest.raises(NotFound):
        service.save_text("registration_confirmed", NEW, "jana@smopk.example")
    with pytest.raises(NotFound):
        service.get_text("no_such_text")


def test_a_certificate_keeps_the_wording_it_was_issued_with(documents):  # noqa: F811
    service = documents([person(1, "Šťastný", **ISSUED), person(2, "Řezáč", **ISSUED)])
    before = service.render_certificate(1)  # issued with the default text
    service.save_text(KEY, NEW, "jana@smopk.example")
    after = service.render_certificate(2)  # issued after the save: the new wording
    text = words(after)
    for expected in ("Potvrzujeme, že Jana Řezáč", "úspěšně absolvoval(a) NOVÉ ZNĚNÍ programu",
                     "Stavební zákon pro obce", "v rozsahu 6 vyučovacích hodin.", "AK/PV-77/2026", "2026/0002",
                     "Děkujeme za účast. Sdružení měst a obcí Plzeňského kraje"):
        assert expected in text, expected
    assert "Osvědčuje se, že" not in text
    # The first one, opened again and as a duplicate, says what it said when issued.
    for again in (service.render_certificate(1), service.render_duplicate_certificate(1)):
        text = words(again)
        assert "Osvědčuje se, že Jana Šťastný" in text and "absolvoval(a) vzdělávací program" in text
        assert "NOVÉ ZNĚNÍ" not in text and "2026/0001" in text
    assert words(before) == words(service.render_certificate(1))
    # Back to the default: the second keeps its version's wording.
    service.revert_text(KEY, "jana@smopk.example")
    assert "NOVÉ ZNĚNÍ" in words(service.render_duplicate_certificate(2))


def test_a_saved_text_that_fails_on_a_certificate_falls_back_to_the_default(documents):  # noqa: F811
    service = documents([person(1, "Žák", **ISSUED, position=None)])
    service.save_text(KEY, "Pro {{ registration.nonexistent }}\n" + texts.default_body(), "jana@smopk.example")
    text = words(service.render_certificate(1))
    assert "Osvědčuje se, že Jana Žák" in text


def test_the_preview_uses_a_real_registration_and_takes_no_number(documents):  # noqa: F811
    service = documents([person(1, "Šťastný", **ISSUED)])
    registration = person(7, "Nováková")
    payload = {"registration": {k: v for k, v in registration.items() if k != "event"},
               "event": registration["event"]}
    shown = service.preview_text(KEY, NEW, payload)
    assert shown["content_type"] == "application/pdf" and shown["filename"] == "osvedceni-ukazka-7.pdf"
    text = words(shown)
    assert "UKÁZKA – NENÍ OSVĚDČENÍM" in text and "Potvrzujeme, že Jana Nováková" in text
    assert service.export_person([7]) == {"certificates": []}
    assert service.render_certificate(1)["number"] == "2026/0001"  # the preview took no number
    with pytest.raises(ValidationError, match="Ukázku s těmito údaji"):
        service.preview_text(KEY, "{{ registration.nonexistent }}" + texts.default_body(), payload)
    with pytest.raises(ValidationError, match="akreditovanou akci"):
        service.preview_text(KEY, NEW, dict(payload, event=dict(payload["event"], accreditation_number=None)))
    with pytest.raises(ValidationError, match="Neznámé proměnné"):
        service.preview_text(KEY, "{{ x }}" + texts.default_body(), payload)


def test_a_text_whose_filter_fails_on_the_data_falls_back_and_its_preview_says_why(documents):  # noqa: F811
    # ``day`` cannot read a name as a date: a ValueError, not a TemplateError.
    service = documents([person(1, "Žák", **ISSUED, position=None)])
    failing = "Den {{ registration.first_name | day }}\n" + texts.default_body()
    service.save_text(KEY, failing, "jana@smopk.example")
    assert "Osvědčuje se, že Jana Žák" in words(service.render_certificate(1))
    registration = person(7, "Nováková")
    payload = {"registration": {k: v for k, v in registration.items() if k != "event"},
               "event": registration["event"]}
    with pytest.raises(ValidationError, match="nejde použít"):
        service.preview_text(KEY, failing, payload)
