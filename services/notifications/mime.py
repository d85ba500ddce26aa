"""The project's emails written out as the email package writes them, for a fraction of its CPU.

An email here has one shape: a pre-folded Subject and other headers, a plain and an HTML body
(the HTML with an inline picture, or not), attachments. ``Mail`` holds it as data and gives it
two ways:

- ``message()``: the ``EmailMessage`` built the ordinary way (``set_content``,
  ``add_alternative``, ``add_related``, ``add_attachment``; the modern policy), to read it
  (previews, tests), and to send when an address goes beyond ASCII (smtplib's SMTPUTF8 path);
- ``wire()``: the bytes ``smtplib.SMTP.send_message(message())`` hands to DATA, written in one
  pass: each header line folded by the email package itself, once per distinct value (the
  sender, the parts' types: kept, ``_line``); bodies encoded by the package's own functions
  (a text part's transfer encoding is its choice); no parse of what it wrote.

Guarantee: ``wire()`` is byte for byte what ``send_message(message())`` sends, the random
multipart boundaries aside, and ``envelope()`` its MAIL FROM and RCPT TO (None where smtplib
must decide: an address beyond ASCII, or a header that changes the envelope);
tests/unit/notifications/test_mime.py checks both for every kind of email. Why: the email
package parses every header value it is given and again for every read, and writes a line at a
time; the notifications process spent about half its CPU per email there (issue 30).
"""
import binascii
import email.policy
import random
import re
import sys
from dataclasses import dataclass, field
from email.contentmanager import _encode_text  # type: ignore[attr-defined]  # set_content's own choice
from email.message import EmailMessage, _formatparam  # type: ignore[attr-defined]
from email.utils import getaddresses
from functools import cache, cached_property, lru_cache

# What send_message flattens with: the message's policy (EmailMessage's default) with CRLF.
POLICY = email.policy.default.clone(linesep="\r\n")
CRLF = b"\r\n"
# The generator of send_message is made without a policy, so it escapes "From " at the start of
# a line of every body (mangle_from_); the parts' line ends become CRLF.
_FROM_LINE = re.compile(r"^From ", re.MULTILINE)
_LINE_END = re.compile(r"\r\n|\r|\n")
# A base64 line: 57 bytes, 76 characters (the policy's 78 // 4 * 3).
_BASE64_LINE = 76
# Headers that make smtplib's envelope differ from From and To.
_ENVELOPE_HEADERS = {"sender", "cc", "bcc", "resent-date", "resent-from", "resent-sender", "resent-to",
                     "resent-cc", "resent-bcc"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, filename: str, content_type: str, data: bytes) -> "Attachment":
        """From a content type with parameters: ``text/calendar; method=PUBLISH; charset=utf-8``."""
        kind, *parameters = (part.strip() for part in content_type.split(";"))
        maintype, subtype = kind.split("/", 1)
        params = dict(parameter.split("=", 1) for parameter in parameters)
        return cls(filename, maintype, subtype, data, params)


@dataclass(frozen=True)
class Inline:
    """A picture inside the HTML part (``cid:``)."""
    data: bytes
    maintype: str
    subtype: str
    cid: str
    filename: str


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: list[str]


@dataclass(frozen=True)
class Mail:
    """``subject``: the Subject's value folded as it is to be sent (set raw); ``headers``: the
    others in order (name, value), each parsed and folded by the email package."""
    subject: str
    headers: list[tuple[str, str]]
    plain: str
    html: str
    inline: Inline | None = None
    attachments: list[Attachment] = field(default_factory=list)

    def message(self) -> EmailMessage:
        message = EmailMessage()
        message.set_raw("Subject", self.subject)
        for name, value in self.headers:
            message[name] = value
        message.set_content(self.plain)
        message.add_alternative(self.html, subtype="html")
        if self.inline is not None:
            inline = self.inline
            body = message.get_body(("html",))
            assert body is not None
            body.add_related(inline.data, maintype=inline.maintype, subtype=inline.subtype, cid=inline.cid,
                             filename=inline.filename)
        for attachment in self.attachments:
            message.add_attachment(attachment.data, maintype=attachment.maintype, subtype=attachment.subtype,
                                   filename=attachment.filename, params=attachment.params)
        return message

    def wire(self) -> bytes:
        return self._wire

    @cached_property
    def _wire(self) -> bytes:
        # The structure message() builds: the plain part made first (set_content on the message
        # itself: no MIME-Version of its own), each later part an EmailMessage with set_content
        # (MIME-Version at its end); a part made multipart keeps its MIME-Version and moves its
        # content headers to a new first part.
        plain = _text(self.plain, "plain", mime_version=False)
        html = _text(self.html, "html", mime_version=self.inline is None)
        if self.inline is not None:
            inline = self.inline
            picture = _binary(inline.data, inline.maintype, inline.subtype, inline.filename, {}, inline.cid)
            html = _multipart("related", _line("MIME-Version", "1.0"), [html, picture])
        head = POLICY.fold_binary("Subject", self.subject) + b"".join(
            _header(name, value) for name, value in self.headers) + _line("MIME-Version", "1.0")
        if not self.attachments:
            return _multipart("alternative", head, [plain, html])
        alternative = _multipart("alternative", b"", [plain, html])
        return _multipart("mixed", head, [alternative] + [
            _binary(attachment.data, attachment.maintype, attachment.subtype, attachment.filename,
                    attachment.params, None) for attachment in self.attachments])

    def envelope(self) -> Envelope | None:
        """MAIL FROM and RCPT TO as send_message takes them from the headers; None when smtplib
        must decide itself (an address beyond ASCII: SMTPUTF8; Sender, Cc, Bcc, Resent-*)."""
        names = {name.lower() for name, _ in self.headers}
        if names & _ENVELOPE_HEADERS or "from" not in names:
            return None
        sender = _addresses("From", next(value for name, value in self.headers if name.lower() == "from"))[0]
        recipients = [address for name, value in self.headers if name.lower() == "to"
                      for address in _recipients(value)]
        if not "".join([sender, *recipients]).isascii():
            return None
        return Envelope(sender, recipients)


# Values different in every email that the email package writes as they are, on one line, when
# they fit on it (``name: value`` at most 78 characters): its parse of them gives back their text
# and its folding keeps a line that fits. Anything else goes to the package (``_line``).
_DOT_ATOM = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
_AS_GIVEN = {
    "to": re.compile(f"{_DOT_ATOM}@{_DOT_ATOM}"),  # a bare address
    "message-id": re.compile(f"<{_DOT_ATOM}@{_DOT_ATOM}>"),
    "content-disposition": re.compile(r'attachment; filename="[A-Za-z0-9_.+-]+"'),  # vstupenka-123.pdf
}


def _header(name: str, value: str) -> bytes:
    """``_line(name, value)``, without the package for a value it writes as given."""
    pattern = _AS_GIVEN.get(name.lower())
    if pattern is not None and len(name) + 2 + len(value) <= POLICY.max_line_length and pattern.fullmatch(value):
        return f"{name}: {value}\r\n".encode("ascii")
    return _line(name, value)


def _recipients(value: str) -> tuple[str, ...]:
    """``_addresses("To", value)``: a bare address is itself."""
    return (value,) if _AS_GIVEN["to"].fullmatch(value) else _addresses("To", value)


@lru_cache(maxsize=4096)
def _line(name: str, value: str) -> bytes:
    """The header as the email package writes it: parsed (``msg[name] = value``) and folded."""
    return POLICY.fold_binary(name, POLICY.header_store_parse(name, value)[1])


@lru_cache(maxsize=1024)
def _addresses(name: str, value: str) -> tuple[str, ...]:
    """The addresses smtplib takes from the header (``getaddresses`` of its parsed value)."""
    return tuple(address for _, address in getaddresses([str(POLICY.header_store_parse(name, value)[1])]))


def _body(payload: str) -> bytes:
    """A part's body as the generator writes it."""
    return _LINE_END.sub("\r\n", _FROM_LINE.sub(">From ", payload)).encode("ascii", "surrogateescape")


def _text(text: str, subtype: str, *, mime_version: bool) -> bytes:
    cte, payload = _encode_text(text, "utf-8", None, email.policy.default)
    head = _line("Content-Type", f'text/{subtype}; charset="utf-8"') + _line("Content-Transfer-Encoding", cte)
    if mime_version:
        head += _line("MIME-Version", "1.0")
    return head + CRLF + _body(payload)


def _binary(data: bytes, maintype: str, subtype: str, filename: str, params: dict[str, str],
            cid: str | None) -> bytes:
    """An attachment (or inline picture) as ``set_content(bytes, ...)`` makes it: base64, its
    parameters added to the Content-Type one by one (each time moving it to the end)."""
    content_type = f"{maintype}/{subtype}"
    headers = [("Content-Type", content_type), ("Content-Transfer-Encoding", "base64"),
               ("Content-Disposition", f"attachment; {_formatparam('filename', filename, True)}")]
    if cid is not None:
        headers.append(("Content-ID", cid))
    for key, value in params.items():
        content_type = f"{content_type}; {_formatparam(key, value, True)}"
        headers = [header for header in headers if header[0] != "Content-Type"] + [("Content-Type", content_type)]
    headers.append(("MIME-Version", "1.0"))
    encoded = binascii.b2a_base64(data, newline=False)
    lines = [encoded[start:start + _BASE64_LINE] for start in range(0, len(encoded), _BASE64_LINE)]
    body = CRLF.join(lines) + CRLF if lines else b""
    return b"".join(_header(name, value) for name, value in headers) + CRLF + body


def _multipart(subtype: str, head: bytes, parts: list[bytes]) -> bytes:
    """``head`` and the Content-Type with a boundary found in none of ``parts``, then the parts."""
    while True:
        boundary = b"=" * 15 + b"%019d" % random.randrange(sys.maxsize) + b"=="
        if not any(b"--" + boundary in part for part in parts):
            break
    before, after = _boundary_line(subtype)
    delimiter = b"--" + boundary
    return b"".join([head, before, boundary, after, CRLF, delimiter, CRLF,
                     (CRLF + delimiter + CRLF).join(parts), CRLF, delimiter, b"--", CRLF])


_PLACEHOLDER = "=" * 15 + "0" * 19 + "=="


@cache
def _boundary_line(subtype: str) -> tuple[bytes, bytes]:
    """The Content-Type line of a multipart, before and after its boundary: the generator's
    boundaries are all 36 characters of one form, so every one folds as this one does."""
    folded = _line("Content-Type", f'multipart/{subtype}; boundary="{_PLACEHOLDER}"')
    before, found, after = folded.partition(_PLACEHOLDER.encode())
    assert found
    return before, after
