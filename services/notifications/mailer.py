"""Composing the Czech emails (written out for the wire by ``mime``) and handing them to the SMTP server,
many over one connection."""
import base64
import hashlib
import os
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import jinja2
from nameko.extensions import DependencyProvider

from services.common import czech, qr
from services.common.db import utcnow
from services.common.greeting import greeting
from services.common.settings import section, setting
from services.common.vocabulary import InvoiceKind

from . import mime, texts
from .domain import EMAILS

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

QR_PLATBA_CID = "<qr-platba@smopk>"
FIELD_NAMES = {"starts_at": "začátek", "ends_at": "konec", "venue": "místo", "sessions": "termíny"}

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters.update(texts.FILTERS)  # the same words in the default files and the office's texts
_environment.globals["greeting"] = greeting  # every email opens with it: "Dobrý den, pane Svobodo,"


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class PermanentFailure(Exception):
    """The server refused the recipient for good (a 5xx answer to RCPT): do not retry."""


class TemporaryFailure(Exception):
    """The server was away or said 'later' (a 4xx answer): retry."""


class ServerRefused(TemporaryFailure):
    """A 5xx answer about us rather than the recipient (authentication, the sender, the message):
    retried, and an alarm for the operator (logged as an error, counted in the metrics)."""


def message_id_for(dedup_key: str, sender: str) -> str:
    """A Message-ID that stays the same across every attempt to send one message."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(dedup_key.encode()).hexdigest()[:32]}@{domain}>"


def subject(kind, payload):
    """The subject line: always one line, whatever an event's title holds (a line break would
    make the header, and so every email of the event, impossible to build)."""
    event = payload.get("event") or {}
    invoice = payload.get("invoice") or {}
    document = "Opravný doklad" if invoice.get("kind") == InvoiceKind.CREDIT_NOTE else "Faktura"
    line = EMAILS[kind].subject.format(title=event.get("title", ""), subject=payload.get("subject", ""),
                                       number=invoice.get("number", ""), document=document,
                                       date=czech.date(_moment(event["starts_at"])) if event.get("starts_at") else "")
    return " ".join(line.split())


# 42 bytes of UTF-8 are 56 characters of base64, an encoded word of 68 (RFC 2047 allows 75): the
# first line, "Subject: " and one word, stays within 78 characters, so nothing folds it again.
_ENCODED_WORD_BYTES = 42


def subject_header(text: str) -> str:
    """The Subject header's value for ``text``, as it goes on the wire: the text itself when it is
    printable ASCII that fits on the header's one line, otherwise RFC 2047 encoded words of whole
    words, each with the space that follows it, on lines of at most 78 characters.

    Python's own folding (3.11, any policy) sometimes moves the space between two words into the
    folding white space between two encoded words, where a reader drops it ("obecnímúřadě"), and
    cuts a long ASCII word badly: here every space sits inside an encoded word, the folds between
    them carry nothing, and ``email.message_from_bytes`` reads back ``text`` exactly."""
    if text.isascii() and text.isprintable() and "=?" not in text and len("Subject: ") + len(text) <= 78:
        return text
    chunks, current = [], b""
    for piece in _pieces(text):
        if current and len(current) + len(piece) > _ENCODED_WORD_BYTES:
            chunks.append(current)
            current = b""
        current += piece
    if current:
        chunks.append(current)
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=" for chunk in chunks)


def _pieces(text):
    """The words of ``text`` in UTF-8, each with its following space; a word too long for one
    encoded word is cut between characters (never inside one)."""
    words = text.split(" ")
    for index, word in enumerate(words):
        piece = b""
        for char in word if index == len(words) - 1 else word + " ":
            if len(piece) + len(char.encode()) > _ENCODED_WORD_BYTES:
                yield piece
                piece = b""
            piece += char.encode()
        if piece:
            yield piece


def render(kind, payload, *, sender, reply_to, organiser, contact, recipient, message_id, attachments=(),
           headers=None, qr_platba=None, text=None) -> mime.Mail:
    """The email of ``kind`` about ``payload``: plain text and HTML, with attachments
    (``(filename, content type, data)``); with ``qr_platba`` (a QR Platba text) its picture goes
    inside the HTML part. ``text`` is the office's own text for it (``texts``), made in the
    sandbox and put in both parts; None: the default files."""
    context = dict(payload, organiser=organiser, organiser_contact=contact, field_names=FIELD_NAMES,
                   qr_platba_cid=QR_PLATBA_CID.strip("<>") if qr_platba else None)
    subject_line = subject(kind, payload)
    if text is None:
        template = EMAILS[kind].template
        plain = _environment.get_template(f"{template}.txt").render(**context)
        html = _environment.get_template(f"{template}.html").render(**context)
    else:
        body = texts.render_body(text, context)
        plain = _environment.get_template("custom.txt").render(context, body_text=body)
        html = _environment.get_template("custom.html").render(context, body_html=texts.html_body(body),
                                                                title=subject_line)
    inline = mime.Inline(qr.png(qr_platba, scale=4), "image", "png", cid=QR_PLATBA_CID,
                         filename="qr-platba.png") if qr_platba else None
    return mime.Mail(
        subject=subject_header(subject_line),  # folded as it is to be sent
        headers=[("From", sender), ("To", recipient), ("Reply-To", reply_to), ("Date", format_datetime(utcnow())),
                 ("Message-ID", message_id), *(headers or {}).items()],
        plain=plain, html=html, inline=inline,
        attachments=[mime.Attachment.of(filename, content_type, data) for filename, content_type, data in attachments])


def draft(kind, payload, **arguments) -> mime.Mail:
    """The email of ``render``, written out at once (``Mail.wire``), ready for ``SmtpSession``: a
    header the email package cannot take raises here, while the email is built."""
    mail = render(kind, payload, **arguments)
    mail.wire()
    return mail


def compose(kind, payload, **arguments) -> EmailMessage:
    """The email of ``render`` as an ``EmailMessage``, to read (previews, tests)."""
    return render(kind, payload, **arguments).message()


class _PatientData:
    """The wait for the server's answer to a message's data is long (RFC 5321 §4.5.3.2 asks 10
    minutes for it): by then the server may have the message and be delivering it, so giving up
    early and sending again is how a person gets it twice (§6.1). The other commands keep the
    short timeout, so a server that hangs before the data costs one timeout and nothing else.

    ``data_started`` says whether the current message's DATA went out: from then on, a lost
    connection may have left the message with the server (the window of §6.1)."""

    data_timeout = 60.0
    data_started = False

    def data(self, msg):
        self.data_started = True
        self.sock.settimeout(self.data_timeout)
        try:
            return self._data(msg)
        finally:
            if self.sock is not None:  # the next message's commands: the short timeout again
                self.sock.settimeout(self.timeout)

    def _data(self, msg):
        """smtplib's ``data`` (3.11) without its debug output, the dots that start a line doubled
        by ``quote_periods`` rather than its regular expression (0.4 ms of CPU per email)."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")
        quoted = quote_periods(msg)
        if quoted[-2:] != b"\r\n":
            quoted += b"\r\n"
        self.send(quoted + b".\r\n")
        return self.getreply()


def quote_periods(data: bytes) -> bytes:
    """What smtplib's ``_quote_periods`` gives (a dot at the start of a line doubled, RFC 5321
    §4.5.2; a line starts at the start and after each LF), for bytes.replace's cost."""
    quoted = data.replace(b"\n.", b"\n..")
    return b"." + quoted if quoted.startswith(b".") else quoted


class _Smtp(_PatientData, smtplib.SMTP):
    pass


class _SmtpSsl(_PatientData, smtplib.SMTP_SSL):
    pass


class Smtp:
    """The SMTP server as configured: ``session()`` opens one connection for many messages."""

    def __init__(self, configured):
        settings = section(configured, "SMTP")  # config.yaml's SMTP defaults for the keys not given
        self.host = settings["HOST"]
        self.port = int(settings["PORT"])
        self.user = settings.get("USER") or None
        self.password = settings.get("PASSWORD") or ""
        self.starttls = bool(settings.get("STARTTLS"))
        self.ssl = bool(settings.get("SSL"))
        self.timeout = float(settings["TIMEOUT"])
        # Shorter than the claim a sender holds on a message (usecases.CLAIM_SECONDS): nobody
        # else takes the message up while this one may still be getting through.
        self.data_timeout = float(settings["DATA_TIMEOUT"])
        # The server's certificate is checked against the system's CAs, or the given file's
        # (a private mail server); Python's smtplib checks nothing unless given a context.
        self.tls = ssl.create_default_context(cafile=settings.get("CA_FILE") or None)

    @property
    def longest_message_seconds(self) -> float:
        """The longest one message can take on an open connection: MAIL and RCPT within
        ``SMTP_TIMEOUT`` each, the data within ``SMTP_DATA_TIMEOUT``."""
        return self.data_timeout + 2 * self.timeout

    def session(self) -> "SmtpSession":
        return SmtpSession(self)

    def send(self, message: "mime.Mail | EmailMessage"):
        """One message over a connection of its own."""
        with self.session() as session:
            session.send(message)

    def connect(self):
        """A new connection, greeted, secured and logged in as configured (raises as ``send``)."""
        try:
            if self.ssl:
                connection = _SmtpSsl(self.host, self.port, timeout=self.timeout, context=self.tls)
            else:
                connection = _Smtp(self.host, self.port, timeout=self.timeout)
            connection.data_timeout = self.data_timeout
            try:
                connection.ehlo_or_helo_if_needed()
                if self.starttls:
                    connection.starttls(context=self.tls)
                if self.user:
                    connection.login(self.user, self.password)
            except BaseException:
                connection.close()
                raise
            return connection
        except smtplib.SMTPResponseException as error:
            raise _refused(error) from None
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from None


class SmtpSession:
    """Many messages over one SMTP connection, each with its own outcome.

    ``send(message)`` returns once the server accepted the message, or raises: ``PermanentFailure``
    (every recipient refused for good), ``ServerRefused`` (5xx about us), ``TemporaryFailure``
    (anything else). A refusal is the message's alone: smtplib resets the transaction (RSET) and
    the connection goes on with the next message.

    A connection lost before the message's DATA went out (the server closed an idle connection,
    or said 421, or drops after so many messages) is opened again and the message goes over the
    new one: the server cannot have it. Lost after the DATA went out, the server may have it
    (RFC 5321 §6.1): the message is a ``TemporaryFailure`` and is never sent again in this
    session; the next message goes over a new connection. Two connections lost with no message
    accepted in between, or a connection that cannot be opened, and the session gives up: that
    message and every later one raise the same failure at once, without trying (the server is
    away, or refusing us: the batch waits for its retry rather than knocking once per message)."""

    def __init__(self, smtp: Smtp):
        self._smtp = smtp
        self._connection = None
        self._lost_in_a_row = 0  # connections lost since the last message the server accepted
        self._given_up: TemporaryFailure | None = None
        self.connections = 0  # opened, for the logs and the tests

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def send(self, message: "mime.Mail | EmailMessage"):
        while True:
            connection = self._open()
            connection.data_started = False
            try:
                _hand_over(connection, message)
            except smtplib.SMTPRecipientsRefused as error:
                self._forget_if_closed()
                codes = [code for code, _ in error.recipients.values()]
                reason = "; ".join(f"{rcpt}: {code} {text.decode(errors='replace')}"
                                   for rcpt, (code, text) in error.recipients.items())
                if all(code >= 500 for code in codes):
                    raise PermanentFailure(reason) from None
                raise TemporaryFailure(reason) from None
            except smtplib.SMTPResponseException as error:
                # The server refused us, not the address (authentication, the sender, the message):
                # kept and tried again, and flagged for the operator, who has something to fix.
                # A 421 closes the connection (smtplib too): a lost connection, as below.
                if error.smtp_code != 421:
                    self._forget_if_closed()
                    raise _refused(error) from None
                self._lost(connection, _refused(error))
            except (OSError, smtplib.SMTPException) as error:
                self._lost(connection, TemporaryFailure(f"{type(error).__name__}: {error}"))
            else:
                self._lost_in_a_row = 0
                return

    def open(self):
        """Open the connection now, before any message (raises as ``send``: the session has then
        given up)."""
        self._open()

    @property
    def given_up(self) -> bool:
        """The session gave up (two connections lost in a row, or none to be opened): every
        later message raises at once, untried."""
        return self._given_up is not None

    def close(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()

    def _open(self):
        if self._given_up is not None:
            raise self._given_up
        if self._connection is None:
            try:
                self._connection = self._smtp.connect()
            except TemporaryFailure as failure:
                self._given_up = failure
                raise
            self.connections += 1
        return self._connection

    def _forget_if_closed(self):
        if self._connection is not None and self._connection.sock is None:  # smtplib closed it (a 421)
            self._connection = None

    def _lost(self, connection, failure):
        """The connection failed while sending a message: go on over a new one, or raise."""
        self._connection = None
        connection.close()
        self._lost_in_a_row += 1
        if self._lost_in_a_row >= 2:
            self._given_up = failure
        if connection.data_started:
            raise type(failure)(f"{failure} (after the data went out: the server may have the message)")
        if self._given_up is not None:
            raise failure


def _hand_over(connection, message):
    """``message`` through smtplib: a ``Mail`` as its written bytes with the envelope that
    ``send_message`` would take from its headers (the same DATA, flattened once, never parsed);
    with an address beyond ASCII, as send_message sends it (SMTPUTF8 and 8BITMIME, or refused
    when the server has no SMTPUTF8)."""
    if isinstance(message, EmailMessage):
        connection.send_message(message)
        return
    envelope = message.envelope()
    if envelope is None:
        connection.send_message(message.message())
    else:
        connection.sendmail(envelope.sender, envelope.recipients, message.wire())


def _refused(error: smtplib.SMTPResponseException) -> TemporaryFailure:
    text = error.smtp_error
    reason = f"{error.smtp_code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    return ServerRefused(reason) if error.smtp_code >= 500 else TemporaryFailure(reason)


class SmtpProvider(DependencyProvider):
    def setup(self):
        self.smtp = Smtp(setting(self.container.config, "SMTP"))

    def get_dependency(self, worker_ctx):
        return self.smtp
