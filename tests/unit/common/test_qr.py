"""The fast QR codes are segno's codes: same mask, same modules, same score for every mask, the
same PNG."""
import io
import random
import string
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
import segno
from segno import encoder

from services.common import qr
from services.common.signing import ticket_code
from services.payments.domain import spd

CZECH = ("Příliš žluťoučký kůň úpěl ďábelské ódy; Škoda, Říčany, Ústí nad Labem, Plzeň, Jihlava, "
         "Ďáblice, Čáslav, Žďár nad Sázavou, Brno-Řečkovice, Mgr. Jiří Dvořák, Ing. Věra Šťastná").split()


def _random_ascii(rng: random.Random) -> list[str]:
    return ["".join(rng.choice(string.printable) for _ in range(rng.randint(1, 300))) for _ in range(1000)]


def _qr_platba(rng: random.Random) -> list[str]:
    account = {"iban": "CZ6508000000192000145399", "bic": rng.choice([None, "GIBACZPX"])}
    return [spd(account, rng.randint(1, 10_000_000), str(rng.randint(1, 9_999_999_999)),
                " ".join(rng.choices(CZECH, k=rng.randint(0, 12))),
                rng.choice([None, date(2026, 12, 1) + timedelta(days=rng.randint(0, 400))]))
            for _ in range(400)]


def _tickets(rng: random.Random) -> list[str]:
    return [ticket_code(rng.randbytes(32), rng.randint(1, 999_999_999_999)) for _ in range(400)]


def _totp(rng: random.Random) -> list[str]:
    return [pyotp.TOTP(pyotp.random_base32()).provisioning_uri(
        name=f"{rng.choice(['jana', 'petr.novak', 'x'])}{rng.randint(0, 10**rng.randint(1, 9))}@spolek.cz",
        issuer_name="SMOPK konzole") for _ in range(200)]


def _czech(rng: random.Random) -> list[str]:
    return [" ".join(rng.choices(CZECH, k=rng.randint(1, 40))) for _ in range(400)]


def _longest(alphabet: str, version: int) -> int:
    """The most characters of ``alphabet`` that fit into ``version`` at level M."""
    def fits(n: int) -> bool:
        try:
            return encoder.find_version(encoder.prepare_data(alphabet[0] * n, None, None), 0, False, False) <= version
        except encoder.DataOverflowError:
            return False
    low, high = 1, 8000
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def _every_size(rng: random.Random) -> list[str]:
    """For every version 1-40 (version information from 7; 0, 3, 4 or 7 remainder bits) the
    longest numbers, and bytes of a random length that fits."""
    texts = []
    for version in range(1, 41):
        texts.append("".join(rng.choices(string.digits, k=_longest(string.digits, version))))
        if version % 3 == 0:
            low, high = _longest("a", version - 1) + 1, _longest("a", version)
            texts.append("".join(rng.choices(string.printable, k=rng.randint(low, high))))
    return texts


@pytest.mark.parametrize("kind", [_random_ascii, _qr_platba, _tickets, _totp, _czech, _every_size])
def test_every_code_is_segnos_own(kind):
    texts = kind(random.Random(kind.__name__))
    differing = []
    for text in texts:
        expected = segno.make(text, error="m", micro=False)
        code = qr._code(text)
        if (code.matrix, code.mask, code.designator) != (expected.matrix, expected.mask, expected.designator) \
                or qr.best_mask(text) != expected.mask or qr.modules(text) != expected.matrix:
            differing.append((text, expected.designator, expected.mask, code.mask))
    assert differing == []
    if kind is _every_size:
        assert sorted({segno.make(text, error="m", micro=False).version for text in texts}) == list(range(1, 41))


@pytest.mark.parametrize(("kind", "scales", "count"), [(_qr_platba, (1, 2, 3, 4, 5), 40),
                                                       (_tickets, (1, 2, 3, 4, 5), 40), (_every_size, (1,), 100)])
def test_every_png_is_the_one_segno_writes(kind, scales, count):
    for text in kind(random.Random(kind.__name__))[:count]:
        code = qr._code(text)
        for scale in scales:
            written = io.BytesIO()
            code.save(written, kind="png", scale=scale, border=qr.BORDER)
            assert qr.png(text, scale) == written.getvalue(), (text, scale)


def _as_scored(text: str, mask: int) -> tuple[tuple[bytearray, ...], int]:
    """segno's code with ``mask`` as segno scores it: format and version areas still light."""
    code = segno.make(text, error="m", micro=False, mask=mask)
    size = len(code.matrix)
    template = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(template, size, size)
    encoder.add_alignment_patterns(template, size, size)
    matrix = tuple(bytearray(row) for row in code.matrix)
    for i in range(size):
        for j in range(size):
            if template[i][j] != 0x2:
                matrix[i][j] = template[i][j]
    return matrix, code.version


def _our_score(matrix, version) -> int:
    size = len(matrix)
    flat = b"".join(matrix)
    columns = b"".join(flat[c::size] for c in range(size))
    return qr._penalty(qr._int(flat), qr._int(columns), qr._geometry(version))


def test_each_masks_score_is_segnos():
    rng = random.Random(7)
    texts = _random_ascii(rng)[:40] + _qr_platba(rng)[:20] + _tickets(rng)[:20] + _czech(rng)[:20]
    for text in texts:
        for mask in range(8):
            matrix, version = _as_scored(text, mask)
            assert _our_score(matrix, version) == encoder.evaluate_mask(matrix, len(matrix), len(matrix)), (text, mask)


FINDER_LIKE = bytes((1, 0, 1, 1, 1, 0, 1))
PIECES = (FINDER_LIKE, FINDER_LIKE, bytes(4), bytes(2), b"\x01\x01\x01\x01\x01\x01",
          FINDER_LIKE + bytes((1, 1, 0, 1)),  # two patterns four apart
          FINDER_LIKE + bytes((0, 1, 1, 1, 0, 1)))  # six apart


def _patterned(rng: random.Random, size: int) -> tuple[bytearray, ...]:
    rows = []
    for _ in range(size):
        row = bytearray()
        while len(row) < size:
            row += rng.choice(PIECES) if rng.random() < 0.7 else bytes(rng.choices((0, 1), k=rng.randint(1, 6)))
        rows.append(row[:size])
    if rng.random() < 0.5:
        rows = [bytearray(column) for column in zip(*rows, strict=True)]
    return tuple(rows)


def test_scores_of_matrices_full_of_finder_like_patterns_are_segnos():
    """Patterns at the edges, overlapping, with and without light sides: segno's N3 quirks."""
    rng = random.Random(3)
    for version in (1, 2, 3, 7, 8):
        size = version * 4 + 17
        for _ in range(300):
            matrix = _patterned(rng, size)
            assert _our_score(matrix, version) == encoder.evaluate_mask(matrix, size, size), matrix


def test_a_pattern_overlapping_a_counted_one_is_not_counted_as_segno_does():
    # light x4, a pattern, and one more four modules on that has light after it: ISO counts
    # both, segno only the first (it searches on seven modules further).
    row = bytearray(4) + FINDER_LIKE + bytes((1, 1, 0, 1)) + bytearray(6)
    matrix = tuple(row if i == 10 else bytearray(21) for i in range(21))
    for symbol in (matrix, tuple(bytearray(column) for column in zip(*matrix, strict=True))):
        assert encoder.mask_scores(symbol, 21, 21)[2] == 40
        assert _our_score(symbol, 1) == encoder.evaluate_mask(symbol, 21, 21)


def test_the_fast_path_runs_with_the_pinned_segno():
    """It leans on segno's internals: a new segno is checked by these tests before it is pinned."""
    assert qr.FAST
    pins = Path(__file__).parents[3].joinpath("requirements.txt").read_text().split()
    assert f"segno=={qr.CHECKED_SEGNO}" in pins
