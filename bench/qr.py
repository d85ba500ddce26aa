"""CPU per QR code (``services/common/qr.py``): the code as the project makes it, its mask
chosen by ``qr.best_mask`` (whole-symbol bit operations), against ``segno.make(text,
error="m", micro=False)`` choosing the mask itself, for the three kinds of text a paid
registration puts into codes:

- ``qr_platba``: a QR Platba text, on the unpaid ticket, the invoice and the email's picture;
- ``ticket``: a signed ticket code;
- ``totp``: a TOTP setup URI.

Each kind's ``version`` is the QR version its codes have (8 is 49 x 49 modules).

The same texts both ways, and the codes checked equal first. CPU time (``time.process_time``),
the median of rounds that alternate the two ways; ``ratio`` is how many times less CPU a code
takes. The codes only: drawing them into PNG or SVG is the same both ways.

    .venv/bin/python -m bench.qr
"""
import statistics
import time
from datetime import date

import pyotp
import segno

from services.common import qr
from services.common.signing import ticket_code
from services.payments.domain import spd

CODES_PER_ROUND = 50
ROUNDS = 7
ACCOUNT = {"iban": "CZ6508000000192000145399", "bic": "GIBACZPX"}


def texts(kind, first):
    numbers = range(first, first + CODES_PER_ROUND)
    if kind == "qr_platba":
        return [spd(ACCOUNT, 125_000 + n, f"1{n:09d}", f"Účetnictví obcí 2027, Jiří Šťastný-Řeháček {n}",
                    date(2026, 12, 20)) for n in numbers]
    if kind == "ticket":
        return [ticket_code(b"bench-key-" + bytes(22), n) for n in numbers]
    return [pyotp.TOTP(pyotp.random_base32()).provisioning_uri(name=f"jana.novakova{n}@smopk.example",
                                                               issuer_name="SMOPK konzole") for n in numbers]


def _ms_per_code(make, batch):
    started = time.process_time()
    for text in batch:
        make(text)
    return 1000 * (time.process_time() - started) / len(batch)


def _segno(text):
    return segno.make(text, error="m", micro=False)


def measure(rounds=ROUNDS):
    results = {"codes_per_round": CODES_PER_ROUND, "rounds": rounds}
    for kind in ("qr_platba", "ticket", "totp"):
        for text in texts(kind, 0)[:10]:  # the same codes; caches warm
            ours, theirs = qr._code(text), _segno(text)
            assert (ours.matrix, ours.mask) == (theirs.matrix, theirs.mask)
        fast, plain = [], []
        for number in range(rounds):
            batch = texts(kind, 1000 + number * CODES_PER_ROUND)
            fast.append(_ms_per_code(qr._code, batch))
            plain.append(_ms_per_code(_segno, batch))
        ms, baseline = statistics.median(fast), statistics.median(plain)
        results[kind] = {"version": _segno(batch[0]).version, "ms_per_code": ms,
                         "segno_ms_per_code": baseline, "ratio": baseline / ms}
    return results


def main():
    results = measure()
    print(f"CPU per QR code, median of {results['rounds']} rounds of {results['codes_per_round']}")
    for kind in ("qr_platba", "ticket", "totp"):
        r = results[kind]
        print(f"{kind:<10} version {r['version']:>2}   qr.py {r['ms_per_code']:.2f} ms   "
              f"segno alone {r['segno_ms_per_code']:.2f} ms   ratio {r['ratio']:.1f}")


if __name__ == "__main__":
    main()
