"""The emails as written by ``mime.Mail.wire``: byte for byte what smtplib's ``send_message`` sends
for the same message built the ordinary way (``Mail.message``), with the same envelope."""
import glob
import os
import re
import smtplib
from datetime import UTC, datetime

import pytest

from services.common import calendar
from services.notifications import mime
from services.notifications.domain import EMAILS
from services.notifications.mailer import Smtp, _hand_over, draft, quote_periods
from tests.emails import every_email, recipient

SENDER = "SMOPK – semináře <seminare@smopk.example>"
PDF = os.urandom(40_000)
BOUNDARY = re.compile(rb"={15}\d{19}==")


class Captured(smtplib.SMTP):
    """smtplib with no server: what ``sendmail`` would be given (``send_message`` calls it)."""

    def __init__(self, smtputf8=True):
        super().__init__()
        self.smtputf8 = smtputf8
        self.sent = None

    def ehlo_or_helo_if_needed(self):
        pass

    def has_extn(self, opt):
        return opt.lower() == "smtputf8" and self.smtputf8

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        self.sent = (from_addr, list(to_addrs), _numbered(msg), tuple(mail_options), tuple(rcpt_options))


def _numbered(data):
    """The random boundaries replaced by their order of appearance."""
    seen = {}
    return BOUNDARY.sub(lambda found: b"BOUNDARY-%d" % seen.setdefault(found.group(), len(seen)), data)


def sent_both_ways(mail):
    by_stdlib, by_wire = Captured(), Captured()
    by_stdlib.send_message(mail.message())
    _hand_over(by_wire, mail)
    return by_stdlib.sent, by_wire.sent


def ics(payload):
    return calendar.ics(payload, revision=calendar.ENTRY, sender=SENDER, organiser="SMOPK",
                        now=datetime(2026, 11, 27, 10, tzinfo=UTC))


@pytest.mark.parametrize("kind", sorted(every_email()))
def test_every_kind_of_email_goes_out_as_send_message_writes_it(kind):
    payload = every_email()[kind]
    registration = payload.get("registration") or {}
    spd = (registration.get("payment") or {}).get("spd")
    attachments = [("vstupenka-1.pdf", "application/pdf", PDF)]
    if "event" in payload and "registration" in payload:
        attachments.append(("pozvanka.ics", f"text/calendar; method={calendar.METHOD}; charset=utf-8", ics(payload)))
    headers = {"List-Unsubscribe": f"<{payload['unsubscribe_url']}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} if EMAILS[kind].unsubscribe else None
    for with_files in (attachments, ()):
        mail = draft(kind, payload, sender=SENDER, reply_to="seminare@smopk.example", organiser="SMOPK",
                     contact="tel. 377 000 000", recipient=recipient(kind, payload),
                     message_id=f"<{kind}@smopk.example>", attachments=with_files, headers=headers, qr_platba=spd)
        stdlib, wire = sent_both_ways(mail)
        assert wire == stdlib
        assert wire[:2] == ("seminare@smopk.example", [recipient(kind, payload)]) and wire[3] == ()


TEXTS = {
    "ascii, short lines (7bit)": "Dobry den,\n\nplain words.\n",
    "Czech, short lines (8bit)": "Dobrý den, paní Nováková,\nděkujeme.\n",
    "Czech, a long line (quoted-printable)": "Přihláška " * 30 + "\n" + "řádek\n" * 12,
    "mostly beyond Latin (base64)": "Ωμέγα ελληνικά κείμενα " * 8 + "\n" + "Ωμέγα\n" * 12,
    "lines starting From (escaped on the wire)": "From me to you\nFrom here: Plzeň\n" + "From " * 30 + "\n",
    "CR and CRLF line ends": "jedna\r\ndvě\rtři\n",
    "no final line end": "bez konce řádku",
    "empty": "",
    "an ascii line of 79 characters": "x" * 79 + "\nkonec\n",
    "a line like a boundary": "--" + "=" * 15 + "1" * 19 + "==\n",
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_any_text_is_encoded_as_set_content_encodes_it(name):
    text = TEXTS[name]
    mail = mime.Mail(subject="Zkouska", headers=[("From", SENDER), ("To", "jana@obec.example")],
                     plain=text, html=f"<p>{text}</p>")
    stdlib, wire = sent_both_ways(mail)
    assert wire == stdlib


@pytest.mark.parametrize("filename, content_type, data", [
    ("vstupenka-12345.pdf", "application/pdf", PDF),
    ("prázdný soubor.pdf", "application/pdf", b""),  # a name beyond ASCII (RFC 2231), nothing in it
    ("FV-2026-000123.isdoc", "application/xml", b"<Invoice/>"),
    ("pozvanka.ics", "text/calendar; method=PUBLISH; charset=utf-8", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
    ("a very long name of an attachment that cannot fit on one header line at all.pdf", "application/pdf",
     b"%PDF-1.7"),
    ("57 bytes.bin", "application/octet-stream", bytes(range(57))),
])
def test_attachments_and_an_inline_picture_as_add_attachment_makes_them(filename, content_type, data):
    for inline in (None, mime.Inline(b"\x89PNG" * 100, "image", "png", cid="<qr-platba@smopk>",
                                     filename="qr-platba.png")):
        mail = mime.Mail(subject="=?utf-8?b?UMWZw61sb2hh?=", headers=[("From", SENDER), ("To", "jana@obec.example")],
                         plain="Příloha.\n", html="<p>Příloha.</p>\n", inline=inline,
                         attachments=[mime.Attachment.of(filename, content_type, data)])
        stdlib, wire = sent_both_ways(mail)
        assert wire == stdlib


@pytest.mark.parametrize("to", [
    "Jana Nováková <jana@obec.example>",
    '"Nováková, Jana" <jana@obec.example>',
    "jana@obec.example, petr@obec.example",
    "jana.novakova.s.velmi.dlouhou.adresou.ktera.se.nevejde@obec-s-dlouhym-nazvem.example",
])
def test_recipients_and_headers_as_the_email_package_folds_them(to):
    mail = mime.Mail(subject="Zkouska", plain="Text.\n", html="<p>Text.</p>\n", headers=[
        ("From", SENDER), ("To", to), ("Reply-To", "seminare@smopk.example"),
        ("Date", "Fri, 27 Nov 2026 10:00:00 +0000"), ("Message-ID", "<abc@smopk.example>"),
        ("List-Unsubscribe", "<https://akce.example/announcements/unsubscribe/" + "x" * 60 + ">")])
    stdlib, wire = sent_both_ways(mail)
    assert wire == stdlib


def test_an_address_beyond_ascii_goes_as_smtplib_sends_it():
    mail = mime.Mail(subject="Zkouska", headers=[("From", SENDER), ("To", "jana@obec-ná.example")],
                     plain="Text.\n", html="<p>Text.</p>\n")
    assert mail.envelope() is None
    stdlib, wire = sent_both_ways(mail)
    assert wire == stdlib and "SMTPUTF8" in wire[3]
    with pytest.raises(smtplib.SMTPNotSupportedError):
        _hand_over(Captured(smtputf8=False), mail)


def test_a_copy_to_someone_else_is_left_to_smtplib():
    mail = mime.Mail(subject="Zkouska", plain="Text.\n", html="<p>Text.</p>\n",
                     headers=[("From", SENDER), ("To", "jana@obec.example"), ("Bcc", "archiv@smopk.example")])
    assert mail.envelope() is None
    stdlib, wire = sent_both_ways(mail)
    assert wire == stdlib and wire[1] == ["jana@obec.example", "archiv@smopk.example"]
    assert b"archiv@" not in wire[2]


@pytest.mark.parametrize("data", [b"", b".", b".\r\n", b"a\r\n.b\r\n..c\r\n", b"a\n.b\r.c\r\n.", b"\r\n.\r\n.\r\n",
                                  b"x" * 100 + b"\r\n.end"])
def test_dots_that_start_a_line_are_doubled_as_smtplib_doubles_them(data):
    assert quote_periods(data) == smtplib._quote_periods(data)


def test_an_email_reaches_the_server_as_written(sink):
    text = ".\n..dvě tečky\n.tečka na začátku\nFrom a line that starts so\n"
    mail = mime.Mail(subject="Tecky", headers=[("From", SENDER), ("To", "jana@obec.example")], plain=text,
                     html=f"<pre>\n{text}</pre>\n",
                     attachments=[mime.Attachment.of(".dots", "application/octet-stream", b"." * 200)])
    Smtp({"PORT": sink.port, "TIMEOUT": 5}).send(mail)
    [path] = glob.glob(os.path.join(sink.directory, "*.eml"))
    with open(path, "rb") as eml:
        assert eml.read() == mail.wire()
    [message] = sink.messages()
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain == text.replace("\nFrom ", "\n>From ")  # escaped, as send_message escaped it
    assert message.get_payload()[1].get_content() == b"." * 200


@pytest.mark.parametrize("name, value", [
    ("To", "jana@obec.example"),
    ("To", "jana.novakova+akce@obec-nova-ves.example"),
    ("To", "a" * 56 + "@obec.example"),  # "To: " and the address: 73 characters, then 74 (still as given)
    ("To", "a" * 61 + "@obec.example"),
    ("To", "a" * 62 + "@obec.example"),  # 79: folded by the package
    ("To", "jana..novakova@obec.example"),
    ("To", "=?utf-8?q?jana?=@obec.example"),
    ("Message-ID", "<3f2a9c1b7e4d5a6f8b9c0d1e2f3a4b5c@smopk.example>"),
    ("Message-ID", "<" + "a" * 50 + "@smopk.example>"),
    ("Message-ID", "<ukazka@example.invalid>"),
    ("Content-Disposition", 'attachment; filename="vstupenka-123.pdf"'),
    ("Content-Disposition", 'attachment; filename="FV-2026-000123.isdoc"'),
    ("Content-Disposition", 'attachment; filename="' + "x" * 60 + '.pdf"'),
])
def test_a_value_written_as_given_is_what_the_email_package_writes(name, value):
    assert mime._header(name, value) == mime._line(name, value)
    if name == "To":
        assert mime._recipients(value) == mime._addresses(name, value)
