"""QR codes for pages, emails and PDFs: error correction M, a quiet zone of four modules,
so that a phone's camera and a standard scanner read them (tickets, QR Platba, TOTP setup).

Every code is module for module, mask number included, the one
``segno.make(text, error="m", micro=False)`` makes, about eight times cheaper (``bench/qr.py``). segno spends
most of its time placing the codewords and choosing the data mask: it applies each of the
eight masks module by module and scores each (ISO/IEC 18004 7.8.3) in loops over the modules.
Here segno's own functions encode the text into its final bit stream (segments, version, error
level raised where it fits, padding, error correction); the rest works on the whole symbol at
once, cached per version: the symbol is one Python int of bits row after row and one column
after column, the codewords' places a gather of segno's own placement order, each mask an int
of its bits in the encoding region, and the four penalties (N1 runs, N2 blocks, N3 finder-like
patterns, N4 dark share) bit operations on those ints.

``best_mask`` is the mask segno chooses, by segno's scores, quirks included: in N3 a side of
the pattern beyond the symbol's edge counts as light, so fewer than four light modules up to
the edge suffice; after a counted pattern segno searches on seven modules further, so a pattern
overlapping it (four or six further on) is not counted; N4 is segno's float expression; the
first of equal lowest scores wins. The finished code gets segno's own format and version
information. This leans on segno's internals, so it is used only with the segno it was checked
against (``CHECKED_SEGNO``, the pinned one); with any other, every code is ``segno.make``'s.
tests/unit/common/test_qr.py compares mask and modules with segno's for thousands of texts,
and each mask's score with segno's.
"""
import base64
import functools
import operator
import struct
import zlib
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

import segno
from segno import consts, encoder

BORDER = 4  # modules of quiet zone around every code
CHECKED_SEGNO = "1.6.6"
FAST = segno.__version__ == CHECKED_SEGNO
_MASKS = 8

_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")  # module values 0/1 to the digits int() reads
_TO_LIGHT_DIGITS = bytes.maketrans(b"\x00\x01", b"10")  # a PNG's greyscale bit: dark modules 0
_FROM_DIGITS = bytes.maketrans(b"01", b"\x00\x01")


class _Geometry(NamedTuple):
    """What every symbol of one version shares. As ints, bit ``r * size + c`` is the module of
    line ``r`` at place ``c``, lines being rows (``*_rows`` and the line masks) or columns."""
    size: int
    region: int  # modules in the encoding region: bits of the final message
    full: int  # every module
    pairs: int  # modules with a next one in the same line
    blocks: int  # modules with a next one in the same row and a row below
    starts: int  # where seven modules fit before the line's end
    before: tuple[int, int, int, int]  # for d = 1..4: modules with fewer than d modules before them in the line
    after: tuple[int, int, int, int]  # for d = 7..10: modules with fewer than d - 1 modules after them
    fixed_rows: int  # the dark modules of the function patterns; format and version areas are light
    fixed_columns: int
    mask_rows: tuple[int, ...]  # for each mask: the modules of the encoding region it darkens
    mask_columns: tuple[int, ...]
    gather_rows: Callable[[bytes], tuple[int, ...]]  # final message + b"\0" -> its bits in row order
    gather_columns: Callable[[bytes], tuple[int, ...]]


def _bits(cells: Sequence[tuple[int, int]], size: int, by_columns: bool = False) -> int:
    value = 0
    for i, j in cells:
        value |= 1 << ((j * size + i) if by_columns else (i * size + j))
    return value


@functools.cache
def _geometry(version: int) -> _Geometry:
    size = version * 4 + 17
    # The symbol as segno scores it: finder, alignment and timing patterns set, format and
    # version areas reserved as light, 0x2 where the codewords go (the encoding region).
    template = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(template, size, size)
    encoder.add_alignment_patterns(template, size, size)
    everywhere = [(i, j) for i in range(size) for j in range(size)]
    region = [(i, j) for i, j in everywhere if template[i][j] == 0x2]
    # The place of each bit of the final message, by segno's own placement: bit n is written
    # as n + 3 into a copy of the template in lists (never 0x2, so no place is taken twice).
    places = [list(row) for row in template]
    encoder.add_codewords(places, [n + 3 for n in range(len(region))], version)
    blank = len(region)  # the index of the b"\0" after the message: modules outside the region
    source = [[places[i][j] - 3 if template[i][j] == 0x2 else blank for j in range(size)] for i in range(size)]
    masked = [[(i, j) for i, j in region if pattern(i, j)] for pattern in encoder.get_data_mask_functions(False)]
    assert len(masked) == _MASKS

    def where(condition: Callable[[int, int], bool]) -> int:
        return _bits([(i, j) for i, j in everywhere if condition(i, j)], size)

    dark = [(i, j) for i, j in everywhere if template[i][j] == 0x1]
    return _Geometry(
        size=size,
        region=len(region),
        full=(1 << size * size) - 1,
        pairs=where(lambda i, j: j < size - 1),
        blocks=where(lambda i, j: j < size - 1 and i < size - 1),
        starts=where(lambda i, j: j <= size - 7),
        before=(where(lambda i, j: j < 1), where(lambda i, j: j < 2), where(lambda i, j: j < 3),
                where(lambda i, j: j < 4)),
        after=(where(lambda i, j: j >= size - 7), where(lambda i, j: j >= size - 8),
               where(lambda i, j: j >= size - 9), where(lambda i, j: j >= size - 10)),
        fixed_rows=_bits(dark, size), fixed_columns=_bits(dark, size, True),
        mask_rows=tuple(_bits(cells, size) for cells in masked),
        mask_columns=tuple(_bits(cells, size, True) for cells in masked),
        gather_rows=operator.itemgetter(*[source[i][j] for i in range(size) for j in range(size)]),
        gather_columns=operator.itemgetter(*[source[i][j] for j in range(size) for i in range(size)]))


def _int(modules: bytes) -> int:
    """Modules (values 0/1) as an int whose bit n is the n-th module."""
    return int(modules.translate(_TO_DIGITS)[::-1], 2)


def _lines_penalty(lines: int, g: _Geometry) -> int:
    """N1 and N3 of every line (all rows, or all columns) of the symbol, as segno counts them."""
    light = lines ^ g.full
    same = (lines ^ (lines >> 1) ^ g.full) & g.pairs  # a module the colour of the next one
    five = same & (same >> 1) & (same >> 2) & (same >> 3)  # five modules of one colour start here
    # A run of n >= 5 modules is n - 2 points: n - 4 places where five start, 2 for the first.
    n1 = five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()
    # dark light dark dark dark light dark
    found = (lines & (light >> 1) & (lines >> 2) & (lines >> 3) & (lines >> 4) & (light >> 5)
             & (lines >> 6) & g.starts)
    if not found:
        return n1
    b1, b2, b3, b4 = g.before
    a7, a8, a9, a10 = g.after
    light_before = ((light << 1) | b1) & ((light << 2) | b2) & ((light << 3) | b3) & ((light << 4) | b4)
    light_after = ((light >> 7) | a7) & ((light >> 8) | a8) & ((light >> 9) | a9) & ((light >> 10) | a10)
    counted = found & (light_before | light_after)
    if not counted & ((found >> 4) | (found >> 6)):
        return n1 + 40 * counted.bit_count()
    # A counted pattern overlaps a later one: segno searches on seven modules further and
    # never sees that one. Walk the patterns in segno's order.
    n3 = 0
    resume = 0
    while found:
        lowest = found & -found
        found ^= lowest
        at = lowest.bit_length() - 1
        if at < resume:
            continue
        if counted & lowest:
            n3 += 40
            resume = at + 7
        else:
            resume = at + 4
    return n1 + n3


def _penalty(rows: int, columns: int, g: _Geometry) -> int:
    """segno's ``evaluate_mask`` of the symbol given as its rows and as its columns."""
    same = (rows ^ (rows >> 1) ^ g.full) & g.blocks  # the colour of the next one in the row
    same_below = rows ^ (rows >> g.size) ^ g.full  # the colour of the one below
    n2 = 3 * (same & same_below & (same_below >> 1)).bit_count()
    percent = float(rows.bit_count()) / (g.size ** 2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)  # segno's expression: the same float rounding
    return _lines_penalty(rows, g) + _lines_penalty(columns, g) + n2 + n4


def _choose(rows: int, columns: int, g: _Geometry) -> int:
    best, best_score = 0, -1
    for mask in range(_MASKS):
        score = _penalty(rows ^ g.mask_rows[mask], columns ^ g.mask_columns[mask], g)
        if best_score < 0 or score < best_score:  # segno keeps the first of equal scores
            best, best_score = mask, score
    return best


class _Unmasked(NamedTuple):
    rows: int  # the symbol before masking, as segno scores it
    columns: int
    geometry: _Geometry
    version: int
    error: int
    segments: Any  # segno's Segments


def _unmasked(text: str) -> _Unmasked:
    """segno's ``encode(text, error="m", micro=False)`` up to the masking (its ``_encode``
    without structured append, ECI or Micro QR), the codewords placed by the cached gather."""
    segments = encoder.prepare_data(text, None, None)
    version = encoder.find_version(segments, consts.ERROR_LEVEL_M, eci=False, micro=False)
    error = encoder.boost_error_level(version, consts.ERROR_LEVEL_M, segments, False)
    buff = encoder.Buffer()
    for segment in segments:
        encoder.write_segment(buff, segment, None, encoder.version_range(version), False)
    capacity = cast(dict[int, dict[int, int]], consts.SYMBOL_CAPACITY)[version][error]
    encoder.write_terminator(buff, capacity, None, len(buff))
    encoder.write_padding_bits(buff, version, len(buff))
    encoder.write_pad_codewords(buff, version, capacity, len(buff))
    message = bytes(encoder.make_final_message(version, error, buff).getbits()) + b"\0"
    g = _geometry(version)
    if len(message) != g.region + 1:  # segno fills the region exactly (remainder bits included)
        raise RuntimeError(f"QR version {version}: {len(message) - 1} bits for {g.region} modules")
    rows = g.fixed_rows | _int(bytes(g.gather_rows(message)))
    columns = g.fixed_columns | _int(bytes(g.gather_columns(message)))
    return _Unmasked(rows, columns, g, version, error, segments)


def best_mask(text: str) -> int:
    """The data mask (0-7) segno chooses for ``text`` with error correction M, no Micro QR."""
    if not FAST:
        mask: int = segno.make(text, error="m", micro=False).mask
        return mask
    symbol = _unmasked(text)
    return _choose(symbol.rows, symbol.columns, symbol.geometry)


def _code(text: str) -> segno.QRCode:
    """``segno.make(text, error="m", micro=False)``, made with the mask from ``best_mask``."""
    if not FAST:
        return segno.make(text, error="m", micro=False)
    symbol = _unmasked(text)
    g = symbol.geometry
    mask = _choose(symbol.rows, symbol.columns, g)
    size = g.size
    digits = format(symbol.rows ^ g.mask_rows[mask], f"0{size * size}b")[::-1].encode("ascii")
    flat = digits.translate(_FROM_DIGITS)
    matrix = tuple(bytearray(flat[r:r + size]) for r in range(0, size * size, size))
    encoder.add_format_info(matrix, symbol.version, symbol.error, mask)  # and the dark module
    encoder.add_version_info(matrix, symbol.version)
    code = encoder.Code(matrix, symbol.version, symbol.error, mask, symbol.segments)
    return segno.QRCode(code)  # type: ignore[call-arg]  # segno's stub leaves out its constructor


def png(text: str, scale: int = 5) -> bytes:
    """The code of ``text`` as a PNG, byte for byte the one segno's ``save(kind="png")`` writes
    (black on white, greyscale of one bit, zlib level 9), written a row at a time: segno packs
    every pixel in Python loops, about 3.5 ms of a QR Platba's 5."""
    return _png(_code(text).matrix, scale)


def _png(matrix: Sequence[bytearray], scale: int, border: int = BORDER) -> bytes:
    width = (len(matrix) + 2 * border) * scale
    octets = (width + 7) // 8
    padding = "0" * (octets * 8 - width)
    widen = {ord("0"): "0" * scale, ord("1"): "1" * scale}  # a pixel per module's 0 or 1

    def scanline(bits: str) -> bytes:  # filter None, then the row's pixels, 1 white
        return b"\0" + int(bits + padding, 2).to_bytes(octets, "big")
    quiet = scanline("1" * width) * (border * scale)
    edge = "1" * (border * scale)
    same_as_above = (b"\2" + bytes(octets)) * (scale - 1)  # filter Up, nothing changed
    data = bytearray(quiet)
    for row in matrix:
        data += scanline(edge + row.translate(_TO_LIGHT_DIGITS).decode("ascii").translate(widen) + edge)
        data += same_as_above
    data += quiet
    header = struct.pack(">2I5B", width, width, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(data, 9)) + \
        _chunk(b"IEND", b"")


def _chunk(name: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))


def png_data_uri(text: str, scale: int = 5) -> str:
    return "data:image/png;base64," + base64.b64encode(png(text, scale)).decode("ascii")


def svg_data_uri(text: str, scale: int = 4) -> str:
    uri: str = _code(text).svg_data_uri(scale=scale, border=BORDER)
    return uri


def modules(text: str) -> tuple[bytearray, ...]:
    """The rows of the code's modules (1 dark) without the quiet zone: the code the images show."""
    rows: tuple[bytearray, ...] = _code(text).matrix
    return rows
