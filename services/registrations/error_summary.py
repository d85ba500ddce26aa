"""The error summary at the top of a public form that came back with mistakes: each wrong field
as a link to its input (``#email``) with its message, in the order of the form, so that a person
on a phone or with a screen reader reaches every mistake, the consent box two screens lower too.
The summary takes the focus when the page loads (``tabindex=-1`` and ``autofocus``), so it is read
out first. The labels are the forms' own (templates), said here once more for the summary."""
from services.common.vocabulary import QuestionType

PERSON = (("first_name", "Jméno"), ("last_name", "Příjmení"), ("email", "E-mail"), ("phone", "Telefon"),
          ("position", "Pracovní pozice"))
ORGANISATION = (("organisation_name", "Organizace"), ("organisation_ico", "IČO organizace"))
BIRTH_DATE = ("birth_date", "Datum narození")
CONSENT = ("gdpr_consent", "Souhlas se zpracováním osobních údajů")
# a person of the colleagues' form: an attendee's row has these (and the event's questions)
ATTENDEE = (("first_name", "jméno"), ("last_name", "příjmení"), ("email", "e-mail"), ("birth_date", "datum narození"))


def _questions(event, prefix="", label_prefix=""):
    """``(error key, input id, label)`` of the event's questions: a text answer is its textarea,
    a choice its first option."""
    return [(f"{prefix}answers.{question['id']}",
             f"{prefix}q_{question['id']}" + ("" if question["type"] == QuestionType.TEXT else "-1"),
             label_prefix + question["label"]) for question in event["questions"] or []]


def registration_fields(event):
    """The registration form's fields in order: ``(error key, input id, label)``."""
    fields = [*PERSON, *ORGANISATION] + ([BIRTH_DATE] if event["collects_birth_date"] else [])
    return ([(name, name, label) for name, label in fields] + [("note", "note", "Poznámka")]
            + _questions(event) + [(CONSENT[0], CONSENT[0], CONSENT[1])])


def colleagues_fields(event, rows):
    """The colleagues' form: who registers, then each attendee's row, then the consent."""
    fields = [(name, name, f"Kdo přihlašuje: {label.lower()}") for name, label in PERSON[:3]]
    fields += [(name, name, label) for name, label in ORGANISATION]
    attendee = ATTENDEE if event["collects_birth_date"] else ATTENDEE[:3]
    for row in range(rows):
        fields += [(f"a{row}_{name}", f"a{row}_{name}", f"Účastník {row + 1}: {label}") for name, label in attendee]
        fields += _questions(event, f"a{row}_", f"Účastník {row + 1}: ")
    return fields + [("attendees", "a0_first_name", "Účastníci"), (CONSENT[0], CONSENT[0], CONSENT[1])]


def substitute_fields(event):
    """The substitute's form."""
    fields = [(name, name, f"{label} náhradníka" if name in ("first_name", "last_name", "email") else label)
              for name, label in PERSON]
    if event["collects_birth_date"]:
        fields.append((BIRTH_DATE[0], BIRTH_DATE[0], "Datum narození náhradníka"))
    return fields + [(CONSENT[0], CONSENT[0], "Souhlas náhradníka se zpracováním osobních údajů")]


def feedback_fields(questions):
    """The questionnaire: each rating is its first radio button, then the comment."""
    return [(name, f"{name}-1", label) for name, label in questions] + [("comment", "comment", "Komentář")]


def summary(errors, fields):
    """The wrong fields as ``{"href", "label", "message"}`` in the form's order; an error of no
    field of the form (``_schema``) comes last, without a link."""
    order = {name: index for index, (name, _anchor, _label) in enumerate(fields)}
    known = {name: (anchor, label) for name, anchor, label in fields}
    items = []
    for name, message in sorted(errors.items(), key=lambda item: order.get(item[0], len(order))):
        anchor, label = known.get(name, (None, None))
        items.append({"href": f"#{anchor}" if anchor else None, "label": label, "message": message})
    return items
