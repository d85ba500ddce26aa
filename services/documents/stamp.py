"""Tickets and invoices stamped on a base page: the page WeasyPrint renders once per event (per
supplier and layout for invoices), with each document's own values drawn over it.

Guarantee: a stamped PDF reads, prints and scans as the full render of the same context
(``render.render_pdf``). The base page is WeasyPrint's own render of the same template with each
per-document value in place but hidden (``visibility: hidden``: it keeps its room, is not drawn),
as a placeholder of as many lines as the value takes. Each value is then broken into lines by
WeasyPrint's own line breaking, in the room and with the style WeasyPrint computed for its place,
and each line drawn by WeasyPrint's own text drawing (the same Pango shaping) at the baseline and
start, centre or end of the placeholder's line, in the very fonts embedded in the base; these
carry, besides the base's own text, every glyph of the value's character set (``_reservoir``).
Each QR code is drawn as the image of it draws (``services.common.qr``: level M, a four-module
quiet zone): the same modules, strokes one module wide, filling the same box. The pages print to
within a shade of a pixel of the full render's; their text and every word's box are the same.

A value that could lay out differently is not stamped, and the document is rendered in full, as
before: a line wider than its room, more than ``MAX_LINES`` lines, a glyph the base's fonts lack or
a font other than theirs (a character outside DejaVu), a character that is not plain text (a
control, a combining mark, a direction mark), an empty value, a base whose layout is not as this
module expects. Callers count both ways (``render_document`` answers which one was taken).

A base is kept in the render worker process, in an LRU cache of ``BASES_KEPT`` keyed by a digest
of everything the base shows (the template, its context without anyone's values, the lines of each
placeholder): a change of an event's time or place is another base, rendered at its first ticket.
The base is rendered by ``render.render_base``, inside ``render``'s fences.
"""
import hashlib
import json
import logging
import re
import unicodedata
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from services.common import qr
from services.common.vocabulary import EventKind, InvoiceKind

from . import render

log = logging.getLogger(__name__)

BASES_KEPT = 64  # per worker process; a base (its PDF and the styles of its places) is ~0.25 MB
MAX_LINES = 4  # of one value: a base for each count a value takes
STAMP = "data-stamp"  # the attribute marking a per-document value (its inline element, a QR code's img)
PLACEHOLDER = "X"  # a line of a hidden value in the base
EPSILON = 0.01  # px: a line this close to its room's width, or a place this far off, is not stamped

# Characters whose glyphs the base's fonts carry, by kind of value: any name or address in a
# language written in Latin letters stamps in the base's own fonts (~13 kB a face in the PDF).
LATIN = "".join(chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x218, 0x21C),
                                 *range(0x2010, 0x2028), 0x202F, 0x2030, 0x20AC, 0x2116, 0x2122))
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))
MONEY = "0123456789 ,.%\u00a0\u202f−-Kč"
STAMPED, FULL = "stamped", "full"


def placeholder(lines: int = 1) -> Markup:
    """A hidden value of ``lines`` lines, for a base's context."""
    return Markup("<br>".join([PLACEHOLDER] * lines))


@dataclass
class Line:
    """A placeholder's line in the base: where its text starts, its baseline, its width (px)."""
    x: float
    baseline: float
    width: float


@dataclass
class TextPlace:
    """Where and how the full render would set a value: WeasyPrint's computed style of its text,
    the width of its lines (its box's), their alignment, the placeholder's lines."""
    style: object
    room: float
    align: str  # "start", "center" or "end"
    lines: list[Line]


@dataclass
class CodePlace:
    """The content box of a QR code's image (px)."""
    x: float
    y: float
    size: float


@dataclass
class Base:
    """A rendered base page, ready to stamp; or, with ``refusal``, why its documents are
    rendered in full."""
    refusal: str | None = None
    texts: dict[str, TextPlace] = field(default_factory=dict)
    codes: dict[str, CodePlace] = field(default_factory=dict)
    title: str | None = None  # the document's title (its metadata) as the base has it
    page_height: float = 0.0  # pt
    glyphs: dict[str, frozenset[int]] = field(default_factory=dict)  # font resource name: glyph ids
    states: frozenset[str] = frozenset()  # ExtGState resource names
    head: bytes = b""  # every object but the overlay and the metadata
    offsets: list[int] = field(default_factory=list)  # of objects 1..n in ``head`` (0 for those two)
    overlay_number: int = 0
    info_number: int = 0
    info: bytes = b""  # the metadata dictionary but its title, without the closing ">>"
    trailer: bytes = b""


class NotStampable(Exception):
    """This value, or this base, would not come out as in the full render."""


_BASES: OrderedDict[str, Base] = OrderedDict()
_faces: dict[str, dict[tuple, str]] = {}  # template: the faces its values were seen in, and their characters


def stamped_pdf(template: str, base_context: Callable[[dict[str, int]], dict], texts: dict[str, str],
                codes: dict[str, str], repertoires: dict[str, str],
                titles: tuple[str, str] | None = None) -> bytes:
    """The document of ``template`` with ``texts`` and ``codes`` (QR codes' texts) drawn in their
    places on its base. ``base_context(lines)`` is the template's context without the values, each
    a ``placeholder`` of ``lines.get(name, 1)`` lines; ``repertoires`` the characters each value
    may have; ``titles``, for a document whose title (its metadata) has its own values: the title
    as the base has it, and the document's. NotStampable when the full render could differ."""
    base = _base(template, base_context({}), repertoires)
    if base.refusal:
        raise NotStampable(base.refusal)
    if set(texts) != set(base.texts) or set(codes) != set(base.codes):
        raise NotStampable(f"places {sorted(base.texts) + sorted(base.codes)}, values "
                           f"{sorted(texts) + sorted(codes)}")
    lines = {name: _broken(name, clean_text(text), base.texts[name]) for name, text in texts.items()}
    counts = {name: len(broken) for name, broken in lines.items() if len(broken) != 1}
    if counts:  # the base whose placeholders have as many lines, in the same rooms
        probe, base = base, _base(template, base_context(counts), repertoires)
        if base.refusal:
            raise NotStampable(base.refusal)
        if set(base.texts) != set(probe.texts) or any(
                len(base.texts[name].lines) != len(broken) or abs(base.texts[name].room - probe.texts[name].room)
                > EPSILON for name, broken in lines.items()):
            raise NotStampable("the base's lines are not the values'")
    if titles is not None and titles[0] != base.title:
        raise NotStampable("the title is not the base's")
    return _write(base, _overlay(base, lines, codes), titles[1] if titles else None)


def base_digest(template: str, base_context: dict, repertoires: dict[str, str]) -> str:
    text = json.dumps([template, base_context, repertoires], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _base(template, base_context, repertoires) -> Base:
    digest = base_digest(template, base_context, repertoires)
    base = _BASES.get(digest)
    if base is not None:
        _BASES.move_to_end(digest)
        return base
    try:
        base = _render_base(template, base_context, repertoires)
    except NotStampable as refusal:
        base = Base(refusal=str(refusal))
    except Exception:  # a base that cannot be made: every document of it rendered in full, as before
        log.exception("%s: the base page could not be made; rendering in full", template)
        base = Base(refusal="the base page could not be made")
    if base.refusal:
        log.info("%s: documents of this base are rendered in full (%s)", template, base.refusal)
    _BASES[digest] = base
    while len(_BASES) > BASES_KEPT:
        _BASES.popitem(last=False)
    return base


# The base ------------------------------------------------------------------------------------------

_HIDE = "[data-stamp] { visibility: hidden }"
_GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}


def _render_base(template, base_context, repertoires) -> Base:
    import io

    import pikepdf

    faces = _faces.setdefault(template, {})
    for _attempt in range(2):
        document, pdf = render.render_base(template, base_context, _HIDE, _reservoir(faces))
        pages = _template_pages(document)
        if pages != 1:
            raise NotStampable(f"the base has {pages} pages")
        texts, codes = _places(document.pages[0])
        seen = _face_characters(texts, repertoires)
        if all(set(characters) <= set(faces.get(face, "")) for face, characters in seen.items()):
            break
        for face, characters in seen.items():
            faces[face] = "".join(sorted(set(faces.get(face, "")) | set(characters)))
    else:
        raise NotStampable("the values' fonts are not those of the base")

    with pikepdf.open(io.BytesIO(pdf)) as original:
        del original.pages[1:]  # the reservoir
        page = original.pages[0].obj
        contents = page.Contents if isinstance(page.Contents, pikepdf.Array) else pikepdf.Array([page.Contents])
        overlay = original.make_stream(b"")
        overlay.StampOverlay = True
        page.Contents = pikepdf.Array([original.make_stream(b"q"), *contents, original.make_stream(b"Q"), overlay])
        saved = io.BytesIO()
        original.save(saved, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=True,
                      stream_decode_level=pikepdf.StreamDecodeLevel.none, deterministic_id=True)
    with pikepdf.open(io.BytesIO(saved.getvalue())) as clean:
        resources = clean.pages[0].obj.Resources
        glyphs = {str(name)[1:]: _font_glyphs(font) for name, font in resources.get("/Font", {}).items()}
        states = frozenset(str(name)[1:] for name in resources.get("/ExtGState", {}).keys())
        info = clean.trailer.Info
        if not info.is_indirect:
            raise NotStampable("the metadata")
        title = str(info.Title) if "/Title" in info else None
        del info.Title
        info_bytes = info.unparse(resolved=True).rstrip()
        if not info_bytes.endswith(b">>"):
            raise NotStampable("the metadata")
        head, offsets, overlay_number = _serialise(clean, skip=info.objgen[0])
        # no /ID, as WeasyPrint writes none (qpdf's would be the same in every document of the base)
        trailer = pikepdf.Dictionary(Root=clean.trailer.Root, Info=clean.trailer.Info).unparse()
    return Base(texts=texts, codes=codes, title=title, page_height=document.pages[0].height * 0.75, glyphs=glyphs,
                states=states, head=head, offsets=offsets, overlay_number=overlay_number,
                info_number=info.objgen[0], info=info_bytes[:-2], trailer=trailer)


def _template_pages(document):
    """The pages before the reservoir's."""
    for number, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is not None and element.get("data-stamp-reservoir") is not None:
                return number
    return len(document.pages)


def _face(style):
    return (tuple(style["font_family"]), style["font_weight"], style["font_style"], style["font_stretch"])


def _face_characters(texts, repertoires):
    """The characters the values drawn in each face may have."""
    faces: dict[tuple, set] = {}
    for name, place in texts.items():
        faces.setdefault(_face(place.style), set()).update(repertoires.get(name, LATIN))
    return {face: "".join(sorted(characters)) for face, characters in faces.items()}


def _reservoir(faces) -> str:
    """The HTML of a page after the template's, set in each face the values are drawn in, with every
    character they may have (and their ligatures): its glyphs are then embedded in the base's
    fonts. The page itself is taken out of the base."""
    paragraphs = []
    for (families, weight, style, stretch), characters in sorted(faces.items()):
        family = ", ".join(name if name in _GENERIC_FAMILIES else '"' + name.replace('"', "") + '"'
                           for name in families)
        text = " ".join(characters) + " fi fl ff ffi ffl"
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        paragraphs.append(f'<p style=\'font-family: {family}; font-weight: {weight}; font-style: {style}; '
                          f'font-stretch: {stretch}\'>{text}</p>')
    return f'<div data-stamp-reservoir="" style="break-before: page">{"".join(paragraphs)}</div>'


def _places(page):
    """The places of the values on ``page`` (WeasyPrint's layout of the base); NotStampable for a
    place whose value's position could depend on the value."""
    from weasyprint.formatting_structure import boxes

    fragments: dict[str, list] = {}
    codes = {}

    def walk(box, ancestors):
        element = getattr(box, "element", None)
        name = element.get(STAMP) if element is not None and not isinstance(box, boxes.TextBox) else None
        if name is not None and isinstance(box, boxes.InlineReplacedBox):
            if name in codes or abs(box.width - box.height) > EPSILON:
                raise NotStampable(f"{name}: not one square image")
            codes[name] = CodePlace(box.content_box_x(), box.content_box_y(), box.width)
        elif name is not None and isinstance(box, boxes.InlineBox):
            fragments.setdefault(name, []).append((box, ancestors[-1], ancestors[-2]))
            return
        elif name is not None:
            raise NotStampable(f"{name}: not inline")
        for child in getattr(box, "children", ()):
            walk(child, ancestors + [box])

    walk(page._page_box, [])
    return {name: _text_place(name, found) for name, found in fragments.items()}, codes


def _empty(box):
    from weasyprint.formatting_structure import boxes

    return box.width < EPSILON and (not isinstance(box, boxes.TextBox) or not box.text.strip())


def _text_place(name, fragments):
    """A value's place from its placeholder's fragments, one a line (each ``X``, the last maybe
    ``X X``): alone on their lines, in one box, in one style, aligned alike."""
    from weasyprint.formatting_structure import boxes

    style, block, align, lines = None, fragments[0][2], None, []
    for span, line, parent in fragments:
        texts = [child for child in span.children if not _empty(child)]
        if (parent is not block or not isinstance(line, boxes.LineBox) or len(texts) != 1
                or not isinstance(texts[0], boxes.TextBox) or span.children[0] is not texts[0]
                or any(child is not span and not _empty(child) for child in line.children)
                or span.margin_left or span.padding_left or span.border_left_width
                or span.margin_right or span.padding_right or span.border_right_width):
            raise NotStampable(f"{name}: not alone on its lines")
        text = texts[0]
        if style is None:
            style = text.style
            if (style["text_transform"] != "none" or style["white_space"] not in ("normal", "nowrap")
                    or style["font_variant_caps"] != "normal" or style["text_decoration_line"] != "none"
                    or style["direction"] != "ltr" or "justify" in (style["text_align_all"], style["text_align_last"])
                    or style["letter_spacing"] not in ("normal", 0) or style["word_spacing"]):
                raise NotStampable(f"{name}: a style that changes the text or its place")
        elif _face(text.style) != _face(style) or text.style["font_size"] != style["font_size"]:
            raise NotStampable(f"{name}: lines in different fonts")
        left, room, width = block.content_box_x(), block.width, text.width
        if abs(text.position_x - left) < EPSILON:
            aligned = "start"
        elif abs(text.position_x + width - (left + room)) < EPSILON:
            aligned = "end"
        elif abs((text.position_x - left) - (left + room - text.position_x - width)) < EPSILON:
            aligned = "center"
        else:  # a float narrowing the line, an indent: where another value would go is not known
            raise NotStampable(f"{name}: its line is not its box")
        if align not in (None, aligned):
            raise NotStampable(f"{name}: lines aligned differently")
        align = aligned
        lines.append(Line(text.position_x, text.position_y + text.baseline, width))
    return TextPlace(style, block.width, align, lines)


def _font_glyphs(font) -> frozenset[int]:
    """The glyph ids a base's font (Type0, Identity, as WeasyPrint embeds them) has widths for:
    those of its embedded subset."""
    glyphs: set[int] = set()
    try:
        items = list(font.DescendantFonts[0].W)
    except (AttributeError, IndexError, KeyError):
        return frozenset()
    i = 0
    while i < len(items):
        first = int(items[i])
        if i + 1 < len(items) and not isinstance(items[i + 1], int) and hasattr(items[i + 1], "__len__"):
            glyphs.update(range(first, first + len(items[i + 1])))  # first [w w …]
            i += 2
        else:  # first last w
            glyphs.update(range(first, int(items[i + 1]) + 1))
            i += 3
    return frozenset(glyphs)


def _serialise(pdf, skip):
    """Every object of ``pdf`` (as saved by qpdf: numbered 1..n, none in object streams) but the
    overlay's and ``skip``'s, as bytes; their offsets; the overlay's number."""
    import pikepdf

    head = bytearray(b"%PDF-1.7\n%\xb5\xed\xae\xfb\n")
    offsets = [0]
    overlay_number = 0
    for obj in sorted(pdf.objects, key=lambda o: o.objgen):
        number, generation = obj.objgen
        if number != len(offsets) or generation != 0:
            raise NotStampable("unexpected object numbering")
        if isinstance(obj, pikepdf.Stream) and "/StampOverlay" in obj:
            overlay_number = number
        if number in (overlay_number, skip):
            offsets.append(0)
            continue
        offsets.append(len(head))
        head += f"{number} 0 obj\n".encode()
        if isinstance(obj, pikepdf.Stream):
            raw = obj.read_raw_bytes()
            dictionary = pikepdf.Dictionary(obj.stream_dict)
            dictionary.Length = len(raw)
            head += dictionary.unparse() + b"\nstream\n" + raw + b"\nendstream"
        else:
            head += obj.unparse(resolved=True)
        head += b"\nendobj\n"
    if not overlay_number:
        raise NotStampable("the overlay's place is lost")
    return bytes(head), offsets, overlay_number


# The overlay ---------------------------------------------------------------------------------------

_fonts: dict = {}  # WeasyPrint's fonts by Pango's key, for this process (as a document's)
_SPACES = re.compile(r" +")


class _Context:
    """What WeasyPrint's line breaking reads of its layout context."""
    dictionaries: dict = {}  # hyphenation's


def clean_text(value: str) -> str:
    """The text as WeasyPrint lays it out (white-space: normal): runs of spaces as one, none at the
    ends; NotStampable for a character that is not plain text, whose layout is not that of its
    glyphs one after another (controls, tabs and newlines, combining marks, direction marks,
    right-to-left letters), and for no text at all (its line would be missing)."""
    for character in value:
        category = unicodedata.category(character)
        if (category[0] in "CM" or category in ("Zl", "Zp")
                or unicodedata.bidirectional(character) in ("R", "AL", "AN")):
            raise NotStampable(f"U+{ord(character):04X}")
    text = _SPACES.sub(" ", value).strip(" ")
    if not text:
        raise NotStampable("an empty value")
    return text


def _broken(name, text, place):
    """``text`` in lines as WeasyPrint breaks it in ``place``'s room: [(line, width)]."""
    from weasyprint.text.line_break import split_first_line

    lines, rest = [], text
    while True:
        layout, _length, resume, width, _height, _baseline = split_first_line(
            rest, place.style, _Context, place.room, 0, is_line_start=True)
        if width > place.room - EPSILON:
            raise NotStampable(f"{name}: wider than its box")
        lines.append((layout.text, width))
        if resume is None:
            return lines
        if len(lines) == MAX_LINES:
            raise NotStampable(f"{name}: more than {MAX_LINES} lines")
        rest = rest.encode()[resume:].decode().lstrip(" ")  # as WeasyPrint starts the next line
        if not rest:
            return lines


def _overlay(base: Base, lines: dict[str, list], codes: dict[str, str]) -> bytes:
    """The content stream drawn over the base: the values, as WeasyPrint would draw them, in the
    page's coordinates as WeasyPrint sets them up (CSS px from the top left corner)."""
    import pydyf
    from weasyprint.draw.text import draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.pdf.stream import Stream
    from weasyprint.text.line_break import Layout

    resources = pydyf.Dictionary({"ExtGState": pydyf.Dictionary()})
    stream = Stream(_fonts, None, resources, {}, None, {}, None)
    stream.push_state()
    stream.transform(d=-1, f=base.page_height)
    stream.transform(a=0.75, d=0.75)
    for name, place in base.texts.items():
        for (text, width), line in zip(lines[name], place.lines, strict=True):
            layout = Layout(place.style)
            layout.set_text(text, justify=True)  # as WeasyPrint lays a line out again to draw it
            first_line, _ = layout.get_first_line()
            _check_glyphs(name, base, stream, first_line)
            x = line.x
            if place.align == "center":
                x += (line.width - width) / 2
            elif place.align == "end":
                x += line.width - width
            stream.set_color(place.style["color"])
            stream.begin_text()
            draw_first_line(stream, _Text(place.style, text, layout), "clip", "none",
                            Matrix(d=-1, e=x, f=line.baseline))
            stream.end_text()
    if set(resources["ExtGState"]) - base.states:
        raise NotStampable("a graphics state the base lacks")
    for name, code in base.codes.items():
        stream.stream.append(_qr_modules(codes[name], code))
    stream.pop_state()
    return b"\n".join(pydyf._to_bytes(item) for item in stream.stream) + b"\n"


class _Text:
    """What ``draw_first_line`` reads of a text box."""

    def __init__(self, style, text, layout):
        self.style, self.text, self.pango_layout = style, text, layout


def _check_glyphs(name, base, stream, line):
    """Every glyph of ``line`` is in the base's embedded font of the same face: NotStampable when
    Pango took another font (a character DejaVu lacks) or a glyph the base lacks."""
    from weasyprint.text.ffi import ffi, pango

    run = line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        font, _size = stream.add_font(glyph_item.item.analysis.font)
        embedded = base.glyphs.get(font.hash)
        if embedded is None:
            raise NotStampable(f"{name}: a font the base lacks")
        glyphs = glyph_item.glyphs
        for info in glyphs.glyphs[0:glyphs.num_glyphs]:
            if info.glyph == pango.PANGO_GLYPH_EMPTY:
                continue
            if info.glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG or info.glyph not in embedded:
                raise NotStampable(f"{name}: a glyph the base lacks")


def _qr_modules(text: str, place: CodePlace) -> bytes:
    """A QR code filling ``place`` as the full render's image of it does (``qr.svg_data_uri``): in
    units of a module, quiet zone included, each run of dark modules of a row a black stroke one
    module wide (CSS px, y down), the way the image draws them."""
    rows = qr.modules(text)
    module = place.size / (len(rows) + 2 * qr.BORDER)
    out = ["q", f"{module:f} 0 0 {module:f} {place.x:f} {place.y:f} cm", "0 0 0 RG", "1 w", "0 J", "[] 0 d"]
    for r, row in enumerate(rows):
        y = r + qr.BORDER + 0.5
        c, end = 0, len(row)
        while c < end:
            if row[c]:
                start = c
                while c < end and row[c]:
                    c += 1
                out.append(f"{start + qr.BORDER} {y} m {c + qr.BORDER} {y} l")
            else:
                c += 1
    out += ["S", "Q"]
    return "\n".join(out).encode()


# The file ------------------------------------------------------------------------------------------

def _pdf_text(value: str) -> bytes:
    """A PDF text string, as pydyf writes one."""
    if value.isascii():
        return b"(" + value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode() + b")"
    return b"<" + ("\ufeff" + value).encode("utf-16-be").hex().encode() + b">"


def _write(base: Base, overlay: bytes, title: str | None) -> bytes:
    """The base's objects, the overlay and the metadata (with the document's own title, if any),
    their table and trailer: one PDF, as if written at once."""
    data = zlib.compress(overlay, 6)
    offsets = list(base.offsets)
    tail = [f"{base.overlay_number} 0 obj\n<< /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode(),
            data, b"\nendstream\nendobj\n"]
    offsets[base.overlay_number] = len(base.head)
    offsets[base.info_number] = len(base.head) + sum(map(len, tail))
    title = base.title if title is None else title
    tail += [f"{base.info_number} 0 obj\n".encode(), base.info,
             b" /Title " + _pdf_text(title) + b" >>" if title is not None else b" >>", b"\nendobj\n"]
    xref = len(base.head) + sum(map(len, tail))
    tail.append(f"xref\n0 {len(offsets)}\n0000000000 65535 f \n".encode())
    tail += [f"{offset:010d} 00000 n \n".encode() for offset in offsets[1:]]
    tail.append(b"trailer\n" + base.trailer[:-2].rstrip() + f" /Size {len(offsets)} >>\n".encode()
                + f"startxref\n{xref}\n%%EOF\n".encode())
    return b"".join([base.head, *tail])


# Tickets -------------------------------------------------------------------------------------------

# What of the event a ticket shows (ticket.html): the base sees these only, so that a change of
# the seats left, say, is not another base.
TICKET_EVENT_KEYS = ("title", "kind", "venue", "lecturer", "starts_at", "ends_at", "sessions")
TICKET_REPERTOIRES = {"name": LATIN, "organisation": LATIN, "position": LATIN, "number": ASCII,
                      "ticket_code": ASCII, "manage_url": ASCII, "amount": MONEY, "variable_symbol": ASCII,
                      "due_on": ASCII}
_PLACEHOLDER_CODE = qr.svg_data_uri(PLACEHOLDER)


def ticket_context(ticket: dict) -> dict:
    """The context of ticket.html for ``ticket`` (``registration``, ``event``, ``payment``: what is
    still to pay, or None, ``organiser``): what the full render takes."""
    registration, payment = ticket["registration"], ticket["payment"]
    return {"registration": registration, "event": ticket["event"],
            "qr": render.qr_data_uri(registration["ticket_code"]), "payment": payment,
            "qr_platba": render.qr_data_uri(payment["spd"]) if payment else None, "organiser": ticket["organiser"]}


def ticket_parts(ticket: dict):
    """The base's context of ``ticket`` (a function of the placeholders' lines; no one's values in
    it), its values to stamp, its QR codes, the characters of each value."""
    registration, payment = ticket["registration"], ticket["payment"]
    filters = render.environment().filters
    if not isinstance(registration["ticket_code"], str):
        raise NotStampable("no ticket code")
    texts = {"name": f"{registration['first_name']} {registration['last_name']}", "number": str(registration["id"]),
             "ticket_code": registration["ticket_code"], "manage_url": str(registration["manage_url"])}
    codes = {"qr": registration["ticket_code"]}
    optional = {"organisation": "organisation_name", "position": "position"}
    texts.update({name: str(registration[key]) for name, key in optional.items() if registration.get(key)})
    if payment:
        texts.update(amount=filters["money"](payment["outstanding_halere"]),
                     variable_symbol=str(payment["variable_symbol"]), due_on=filters["day"](payment["due_on"]))
        codes["qr_platba"] = payment["spd"]
    event = {key: ticket["event"].get(key) for key in TICKET_EVENT_KEYS}
    price, is_member = registration["price"], registration["is_member"]

    def base_context(lines):
        def held(name):
            return placeholder(lines.get(name, 1)) if name in texts else None

        return {"registration": {
                    "id": held("number"), "first_name": held("name"), "last_name": PLACEHOLDER,
                    "organisation_name": held("organisation"), "position": held("position"),
                    "ticket_code": held("ticket_code"), "manage_url": held("manage_url"), "price": price,
                    "is_member": is_member},
                "payment": payment and {"outstanding_halere": 0, "variable_symbol": held("variable_symbol"),
                                        "due_on": "2000-01-01", "account": payment["account"],
                                        "iban": payment["iban"]},
                "event": event, "organiser": ticket["organiser"], "qr": _PLACEHOLDER_CODE,
                "qr_platba": _PLACEHOLDER_CODE if payment else None}

    return base_context, texts, codes, {name: TICKET_REPERTOIRES[name] for name in texts}


def render_ticket(ticket: dict) -> tuple[bytes, str]:
    """The ticket's PDF and how it was made: ``stamped`` on its event's base, or ``full`` (a value
    the stamp cannot promise to draw as the full render would: the full render then)."""
    return _stamped_or_full(f"ticket {ticket['registration'].get('id')}", lambda: stamped_pdf(
        "ticket.html", *ticket_parts(ticket)), lambda: full_ticket(ticket))


def _stamped_or_full(what, stamped, full):
    try:
        return stamped(), STAMPED
    except NotStampable as reason:
        log.debug("%s: rendered in full (%s)", what, reason)
    except Exception:  # a fault of the stamp is no reason to send no document: the full render makes it
        log.exception("%s: the stamp failed; rendered in full", what)
    return full(), FULL


def full_ticket(ticket: dict) -> bytes:
    return render.render_pdf("ticket.html", ticket_context(ticket))


# Invoices ------------------------------------------------------------------------------------------

INVOICE_REPERTOIRES = {"number": ASCII, "customer_name": LATIN, "customer_address": LATIN, "customer_ico": ASCII,
                       "customer_dic": ASCII, "issued_on": ASCII, "due_on": ASCII, "variable_symbol": ASCII,
                       "total": MONEY, "description": LATIN, "quantity": ASCII, "unit_price": MONEY}


def invoice_context(invoice: dict) -> dict:
    """The context of invoice.html: what the full render takes."""
    return {"invoice": invoice, "qr": render.qr_data_uri(invoice["spd"]) if invoice["spd"] else None}


def invoice_parts(invoice: dict):
    """As ``ticket_parts``, for an invoice of a supplier that is no VAT payer (any number of items);
    NotStampable for a credit note or a VAT payer's invoice (their tables are laid out by their
    values: those are rendered in full)."""
    if invoice["kind"] != InvoiceKind.INVOICE or invoice["supplier"]["vat_payer"] or invoice["vat_lines"]:
        raise NotStampable("a credit note or a tax document")
    money, date = render.environment().filters["money"], render.environment().filters["date"]
    customer = invoice["customer"]
    texts = {"number": str(invoice["number"]), "customer_name": str(customer["name"]),
             "issued_on": date(invoice["issued_on"]), "due_on": date(invoice["due_on"]),
             "variable_symbol": str(invoice["variable_symbol"]), "total": money(invoice["total_halere"])}
    texts.update({f"customer_{key}": str(customer[key]) for key in ("address", "ico", "dic") if customer.get(key)})
    for i, item in enumerate(invoice["items"]):
        texts.update({f"item-{i}-description": str(item["description"]), f"item-{i}-quantity": str(item["quantity"]),
                      f"item-{i}-unit_price": money(item["unit_price_halere"]),
                      f"item-{i}-total": money(item["total_halere"])})
    codes = {"qr": invoice["spd"]} if invoice["spd"] else {}
    shown = {key: invoice[key] for key in ("kind", "currency", "supplier", "vat_note", "vat_lines", "corrects",
                                           "reason")}

    def base_context(lines):
        def held(name):
            return placeholder(lines.get(name, 1)) if name in texts else None

        items = [{"description": held(f"item-{i}-description"), "quantity": held(f"item-{i}-quantity"),
                  "unit_price_halere": 0, "total_halere": 0} for i in range(len(invoice["items"]))]
        return {"invoice": dict(shown, number=held("number"), variable_symbol=held("variable_symbol"),
                                issued_on="2000-01-01", taxable_on=None, due_on="2000-01-01", total_halere=0,
                                items=items, spd=PLACEHOLDER if codes else None,
                                customer={"name": held("customer_name"), "address": held("customer_address"),
                                          "ico": held("customer_ico"), "dic": held("customer_dic")}),
                "qr": _PLACEHOLDER_CODE if codes else None}

    repertoires = {name: INVOICE_REPERTOIRES[name.rsplit("-", 1)[-1]] for name in texts}
    titles = (f"Faktura {PLACEHOLDER}", f"Faktura {invoice['number']}")  # invoice.html's <title>
    return base_context, texts, codes, repertoires, titles


def render_invoice(invoice: dict) -> tuple[bytes, str]:
    """The invoice's PDF and how it was made, as ``render_ticket``."""
    return _stamped_or_full(f"invoice {invoice.get('number')}", lambda: stamped_pdf(
        "invoice.html", *invoice_parts(invoice)), lambda: full_invoice(invoice))


def full_invoice(invoice: dict) -> bytes:
    return render.render_pdf("invoice.html", invoice_context(invoice))


KINDS = {"ticket": render_ticket, "invoice": render_invoice}

# Made once by each render worker as it starts (``warm_up``): a ticket with the payment box (every
# place of the ticket's template) and a one-item invoice of a supplier that is no VAT payer.
_SAMPLE_EVENT = {"id": 1, "title": "Vzorová akce", "kind": EventKind.SEMINAR, "venue": "Plzeň, Kopeckého sady 11",
                 "lecturer": "Mgr. Jana Vzorová", "starts_at": "2026-01-05T09:00:00+01:00",
                 "ends_at": "2026-01-05T15:00:00+01:00"}
_SAMPLE_TICKET = {
    "registration": {"id": 1, "first_name": "Jiří", "last_name": "Šťastný", "organisation_name": "Obec Vzorov",
                     "position": "účetní", "price": 900, "is_member": False, "ticket_code": "T1-VZOREK",
                     "manage_url": "https://akce.example/r/1"},
    "event": _SAMPLE_EVENT, "organiser": "Vzorové sdružení",
    "payment": {"outstanding_halere": 90000, "account": "19-2000145399/0800", "iban": "CZ6508000000192000145399",
                "variable_symbol": "1000000001", "due_on": "2026-01-05",
                "spd": "SPD*1.0*ACC:CZ6508000000192000145399*AM:900.00*CC:CZK*X-VS:1000000001"}}
_SAMPLE_INVOICE = {
    "number": "FV-2026-0001", "kind": InvoiceKind.INVOICE, "uuid": "00000000-0000-4000-8000-000000000000",
    "corrects": None, "reason": None, "issued_on": "2026-01-02", "taxable_on": "2026-01-02", "due_on": "2026-01-05",
    "variable_symbol": "1000000001", "currency": "CZK",
    "supplier": {"name": "Vzorové sdružení", "address": "Kopeckého sady 11, 301 00 Plzeň", "ico": "12345678",
                 "dic": None, "register_entry": "zapsaný ve spolkovém rejstříku", "iban": "CZ6508000000192000145399",
                 "bic": "GIBACZPX", "account": "19-2000145399/0800", "email": "akce@smopk.example", "phone": None,
                 "vat_payer": False},
    "customer": {"name": "Obec Vzorov", "address": "Náves 1, 330 01 Vzorov", "ico": "00257001", "dic": None,
                 "email": None},
    "items": [{"description": "Účastnický poplatek: Vzorová akce (5. 1. 2026) – Jiří Šťastný", "quantity": 1,
               "unit_price_halere": 90000, "total_halere": 90000, "vat_rate": 0, "base_halere": 90000,
               "vat_halere": 0}],
    "total_halere": 90000, "vat_lines": [], "vat_note": "Dodavatel není plátcem DPH.",
    "spd": "SPD*1.0*ACC:CZ6508000000192000145399*AM:900.00*CC:CZK*X-VS:1000000001"}


def warm_up() -> None:
    """In a render worker as it starts: a sample ticket and invoice stamped, so that the worker's
    first real ones cost what a new event's first ticket costs (its base page), not five times
    that: each face's fonts loaded, Pango's caches filled, and the faces the values of each
    template are drawn in learned (``_faces``: otherwise the first base of a template is rendered
    twice). The samples' bases are let go. A sample that fails costs nothing but the time."""
    for kind, sample in (("ticket", _SAMPLE_TICKET), ("invoice", _SAMPLE_INVOICE)):
        try:
            _data, way = render_document(kind, sample)
            if way != STAMPED:
                log.warning("warming up: the sample %s was rendered in full", kind)
        except Exception:
            log.exception("warming up: the sample %s could not be made", kind)
    _BASES.clear()


def render_document(kind: str, document: dict) -> tuple[bytes, str]:
    """In a render worker: the PDF of a ``kind`` of document, and the way it was made."""
    return KINDS[kind](document)


def render_documents(requests: list[tuple[str, dict]]) -> list[tuple[bytes | None, str]]:
    """In a render worker: ``render_document`` of each ``(kind, document)``, in order, in one task
    (one trip to the worker for a batch of emails). A document that cannot be made is that one's
    failure alone: ``(None, why)`` in its place, the others made."""
    made = []
    for kind, document in requests:
        try:
            made.append(render_document(kind, document))
        except Exception as error:  # a template bug, data it cannot take: this document alone
            log.exception("a %s could not be made", kind)
            made.append((None, f"{type(error).__name__}: {error}"))
    return made
