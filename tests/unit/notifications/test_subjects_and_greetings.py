"""Subjects and greetings of every kind of email, as a mail program reads them from the bytes a
real SMTP server received: long Czech subjects folded without losing a space, and people greeted
in the vocative ("Dobrý den, pane Svobodo,") or neutrally where the name does not tell."""
import base64
import email
import email.policy
import glob
import os

import pytest

from services.common.greeting import NEUTRAL_GREETING, greeting
from services.notifications.domain import EMAILS
from services.notifications.mailer import subject
from tests.emails import LONG_TITLE, every_email, recipient

TITLES = [
    LONG_TITLE,
    "Novela zákona o obcích a GDPR na obecním úřadě – co se mění pro starosty, místostarosty a tajemníky od 1. 1. 2027",
    "Veřejné zakázky malého rozsahu v praxi obcí: zadávací dokumentace, hodnoticí kritéria a uzavírání smluv",
    "Seminář „Obec a klimatická změna“ – adaptace na sucho, zelená infrastruktura a dotace z OPŽP 2021–2027",
    "Protikorupční-a-transparentní-zadávání-veřejných-zakázek-malého-rozsahu v obcích Plzeňského kraje",
    "Účetní závěrka příspěvkových organizací ÚSC, inventarizace majetku a závazků, schvalování účetní závěrky",
    "GDPR and NIS2 for municipal IT administrators: backups, incident reporting and the new cyber security act",
    "Kódování =?utf-8?q?x?= v předmětu e-mailu",
    "Šumava",
]


@pytest.fixture
def every_kind(notifications):
    notifications.documents.render_invoice.return_value = {
        "filename": "faktura-FV-2026-000123.pdf", "content_type": "application/pdf",
        "data": base64.b64encode(b"%PDF-1.7 faktura").decode()}

    def send(**names):
        emails = every_email(**names)
        for kind, payload in emails.items():
            notifications._queue_and_send(kind, payload, recipient(kind, payload))
        return emails
    return send


def received(sink):
    """What the server received, parsed as a mail program parses it: ``[(raw bytes, message)]``."""
    found = []
    for path in sorted(glob.glob(os.path.join(sink.directory, "*.eml"))):
        with open(path, "rb") as eml:
            raw = eml.read()
        found.append((raw, email.message_from_bytes(raw, policy=email.policy.default)))
    return found


def test_the_catalogue_of_emails_has_every_kind_the_mailer_sends():
    assert set(every_email()) == set(EMAILS)


@pytest.mark.parametrize("title", TITLES)
def test_a_long_czech_subject_arrives_unchanged_in_every_kind_of_email(notifications, sink, every_kind, title):
    emails = every_kind(title=title)
    arrived = received(sink)
    assert len(arrived) == len(emails) and not notifications.list_messages(status="awaiting_retry")
    expected = {subject(kind, payload) for kind, payload in emails.items()}
    assert {str(message["Subject"]) for _, message in arrived} == expected
    assert f"Potvrzení přihlášky: {title}" in expected and f"Připomínka: {title} (8. 12. 2026)" in expected
    for raw, _ in arrived:
        head = raw.split(b"\r\n\r\n", 1)[0]
        too_long = [line for line in head.split(b"\r\n") if len(line) > 78]
        assert not too_long, too_long


def test_the_space_python_lost_when_folding_is_kept():
    """The subject of the report (issue 31): Python's folding joined "obecním" and "úřadě"."""
    from email.message import EmailMessage

    from services.notifications.mailer import subject_header

    line = ("Potvrzení přihlášky: Novela zákona o obcích a GDPR na obecním úřadě – co se mění pro starosty, "
            "místostarosty a tajemníky")
    message = EmailMessage()
    message.set_raw("Subject", subject_header(line))
    message.set_content("x")
    assert str(email.message_from_bytes(message.as_bytes(), policy=email.policy.default)["Subject"]) == line


NAMES = [
    ("Petr", "Svoboda", "Dobrý den, pane Svobodo,"),
    ("Jana", "Nováková", "Dobrý den, paní Nováková,"),
    ("Jiří", "Dvořák", "Dobrý den, pane Dvořáku,"),
    ("Marie", "Černá", "Dobrý den, paní Černá,"),
    ("Tomáš", "Marek", "Dobrý den, pane Marku,"),
    ("Lucie", "Veselá", "Dobrý den, paní Veselá,"),
    ("Karel", "Kříž", "Dobrý den, pane Kříži,"),
    ("Ivana", "Procházková", "Dobrý den, paní Procházková,"),
    ("Josef", "Kubíček", "Dobrý den, pane Kubíčku,"),
    ("Hana", "Malá", "Dobrý den, paní Malá,"),
    ("Zdeněk", "Němec", "Dobrý den, pane Němče,"),
    ("Jaroslav", "Kadlec", "Dobrý den, pane Kadleci,"),
    ("Michal", "Černý", "Dobrý den, pane Černý,"),  # an adjective keeps its form
    ("Jan", "Radní", "Dobrý den, pane Radní,"),
    ("Jana", "Nováková-Svobodová", "Dobrý den, paní Nováková-Svobodová,"),
    ("PETR", "SVOBODA", "Dobrý den, pane Svobodo,"),  # typed in capitals
    ("petr", "svoboda", "Dobrý den, pane Svobodo,"),
    ("Jan Pavel", "Novák", "Dobrý den, pane Nováku,"),  # two given names: the first tells
    ("Petr Svoboda", "", "Dobrý den, pane Svobodo,"),  # the whole name in one field
    # the name does not tell: a foreign name, letters Czech has not, one word, sexes that disagree
    ("Alex", "Smith", NEUTRAL_GREETING),
    ("Sasha", "Müller", NEUTRAL_GREETING),
    ("Kim", "Nguyen", NEUTRAL_GREETING),
    ("Svoboda", "", NEUTRAL_GREETING),
    ("", "Nováková", NEUTRAL_GREETING),
    ("Nikola", "Novák", NEUTRAL_GREETING),
    ("Andrea", "Horák", NEUTRAL_GREETING),
    ("Jan", "Novák-Svoboda", NEUTRAL_GREETING),  # which part a man's double surname declines
    ("Ing. Petr", "Svoboda", NEUTRAL_GREETING),
    ("Jana", "Nováková 1", NEUTRAL_GREETING),
    ("Ľubomír", "Kováč", NEUTRAL_GREETING),  # Slovak, which has no vocative of its own
    ("<b>Jana</b>", "<script>", NEUTRAL_GREETING),
]


@pytest.mark.parametrize("first_name, last_name, expected", NAMES)
def test_a_person_is_greeted_in_the_vocative_or_neutrally(first_name, last_name, expected):
    assert greeting(first_name, last_name) == expected


@pytest.mark.parametrize("first_name, last_name, expected", [
    ("Petr", "Svoboda", "Dobrý den, pane Svobodo,"), ("Ivana", "Procházková", "Dobrý den, paní Procházková,"),
    ("Kim", "Nguyen", "Dobrý den,")])
def test_every_email_to_a_person_opens_with_the_greeting(notifications, sink, every_kind, first_name, last_name,
                                                         expected):
    every_kind(first_name=first_name, last_name=last_name)
    arrived = [message for _, message in received(sink)]
    assert len(arrived) == len(EMAILS)
    for message in arrived:
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        opening = plain.strip().splitlines()[0]
        if message["Subject"].startswith("Faktura"):  # to the organisation's accounts: nobody by name
            assert opening == "Dobrý den,"
            continue
        assert opening == expected, (message["Subject"], opening)
        assert f"<p>{expected}</p>" in html
        assert f"Dobrý den, {first_name} {last_name}" not in plain
