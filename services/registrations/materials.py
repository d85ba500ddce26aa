"""Materials: files staff attach to an event (presentations, PDFs) for the people who came.

Those who came get an email with a personal link (``/materials/<signed>``), not the files
attached: a set of presentations easily passes what mail servers accept (many refuse 10 MB),
an attachment cannot be taken back once sent, while the link checks at every download that the
person came and did not cancel, and always serves the files as they are now (a corrected
presentation replaces the old one for everyone). The link is signed per registration
(``messaging.signed_token``), so it works without logging in and cannot be made up.

Files are kept in this service's database (``store.materials``): see there why.
"""
import base64
import binascii
import os
import re
import unicodedata
from urllib.parse import quote

from services.common.errors import Conflict, NotFound, ValidationError
from services.common.vocabulary import MessagePurpose

from . import domain, messaging, store

# Base64 over RPC makes a file a third larger, and RabbitMQ 4 refuses messages over 16 MiB by
# default (``max_message_size``): 10 MB keeps an upload well inside it.
MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
PURPOSE = MessagePurpose.MATERIALS
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office formats (.doc, .ppt, .xls)
ZIP = b"PK\x03\x04"  # Office Open XML and OpenDocument
# The types accepted, by extension: the type served, and how such a file begins. The content
# must agree with its name: a renamed program or web page is refused, not served as a PDF.
TYPES = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".odp": ("application/vnd.oasis.opendocument.presentation", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".ppt": ("application/vnd.ms-powerpoint", OLE),
    ".doc": ("application/msword", OLE),
    ".xls": ("application/vnd.ms-excel", OLE),
}
ALLOWED = "PDF, PowerPoint, Word, Excel nebo OpenDocument (" + ", ".join(sorted(TYPES)) + ")"


def clean_filename(filename) -> str:
    """The file's own name, as a person would read it: no folders, no control characters."""
    name = unicodedata.normalize("NFC", os.path.basename(str(filename or "").replace("\\", "/")))
    name = "".join(character for character in name if unicodedata.category(character)[0] != "C").strip()
    if len(name) > 200:
        stem, extension = os.path.splitext(name)
        name = stem[:200 - len(extension)] + extension
    return name


def check_file(filename, data):
    """``(name, content type)`` of an acceptable file; ``ValidationError`` in Czech otherwise."""
    name = clean_filename(filename)
    extension = os.path.splitext(name)[1].lower()
    if not name or name.startswith("."):
        raise ValidationError({"file": "Vyberte soubor s názvem."})
    if extension not in TYPES:
        raise ValidationError({"file": f"Tento typ souboru nepřijímáme. Nahrajte {ALLOWED}."})
    if not data:
        raise ValidationError({"file": "Soubor je prázdný."})
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": f"Soubor je příliš velký: nejvýše {MAX_BYTES // (1024 * 1024)} MB."})
    content_type, magic = TYPES[extension]
    if not data.startswith(magic):
        raise ValidationError({"file": "Obsah souboru neodpovídá jeho příponě."})
    return name, content_type


def decode(data_base64):
    """The bytes of a file sent over RPC as base64 (as documents sends its PDFs)."""
    try:
        return base64.b64decode(str(data_base64 or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"data": "Obsah souboru musí být v kódování base64."}) from None


def add(uow, event, filename, data):
    """Attach a file to ``event``; the file as listed."""
    name, content_type = check_file(filename, data)
    if len(store.list_materials(uow.conn, event["id"])) >= MAX_FILES:
        raise Conflict("too_many_materials", f"K jedné akci lze nahrát nejvýše {MAX_FILES} souborů.")
    material_id = store.add_material(uow.conn, dict(event_id=event["id"], filename=name, content_type=content_type,
                                                    size=len(data), data=data, created_at=uow.now))
    return listed(store.get_material(uow.conn, material_id))


def remove(conn, event_id, material_id):
    if not store.delete_material(conn, event_id, int(material_id)):
        raise NotFound("material_not_found", "Soubor u této akce nebyl nalezen.")


def listed(row):
    return {"id": row["id"], "event_id": row["event_id"], "filename": row["filename"],
            "content_type": row["content_type"], "size": row["size"], "created_at": row["created_at"].isoformat()}


def check_has_materials(conn, event_id):
    if not store.list_materials(conn, event_id):
        raise Conflict("no_materials", "K akci zatím nejsou nahrané žádné podklady.")


def send(uow, event_id, event_view):
    """Email the link to the materials to everyone who came and has not had it yet; how many.
    Each person once (``store.follow_ups``), however often staff press the button."""
    check_has_materials(uow.conn, event_id)
    people = [r for r in store.list_registrations(uow.conn, event_id) if domain.came_in(r)
              and store.claim_follow_up(uow.conn, r["id"], PURPOSE, uow.now)]
    messaging.tell(uow, PURPOSE, event_view, people, link=lambda person: (
        f"{uow.base_url}/materials/{messaging.signed_token(uow.signing_key, PURPOSE, person['id'])}"))
    return len(people)


def for_attendee(conn, key, token, expiry=None):
    """What the personal link shows: the registration, its event and the files. ``expiry``:
    ``now``, ``days`` and ``contact`` for ``messaging.registration_of`` (an expired link is ``Gone``)."""
    registration, event = messaging.registration_of(conn, key, PURPOSE, token, **(expiry or {}))
    return registration, event, [listed(row) for row in store.list_materials(conn, event["id"])]


def file_for_attendee(conn, key, token, material_id, expiry=None):
    """One file of the event, to someone who came (while the link has not expired)."""
    registration, _event = messaging.registration_of(conn, key, PURPOSE, token, **(expiry or {}))
    row = store.get_material(conn, material_id)
    if row is None or row["event_id"] != registration["event_id"]:
        raise NotFound("material_not_found", "Tento soubor u akce není.")
    return row


def content_disposition(filename) -> str:
    """``attachment`` with the Czech name for browsers (RFC 6266) and a plain one for the rest."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    plain = re.sub(r'[^A-Za-z0-9._ -]', "_", plain) or "soubor"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
