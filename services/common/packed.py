"""A file carried in an RPC message: gzipped, then base64.

Guarantee: a file that fits the receiver's limit, unpacked, fits the broker
too, as long as it compresses as text does. RabbitMQ refuses a message over
16 MiB (its default ``max_message_size``), and base64 adds a third: a bank
statement of 10,000 lines is 19 MB of camt.053 XML, 25 MB as plain base64, and
0.35 MB gzipped. The receiver unpacks at most its own limit, so a small
gzip that would unpack to gigabytes is refused before it is read whole; a file
sent as plain base64 (not gzipped) is taken as it is.
"""
import base64
import binascii
import gzip
import zlib

GZIP_MAGIC = b"\x1f\x8b"
# The largest bank statement taken, in one place for the console (its upload limit) and payments
# (what it unpacks and parses into one XML tree): a year of the association's account, 10,000
# lines, is about 19 MB of camt.053.
STATEMENT_MAX_BYTES = 30 * 1024 * 1024
STATEMENT_TOO_LARGE = (f"Výpis je příliš velký: nejvýše {STATEMENT_MAX_BYTES // (1024 * 1024)} MB. "
                       "Stáhněte prosím z banky výpis za kratší období a nahrajte ho po částech.")


class Refused(ValueError):
    """Why the packed file cannot be taken: ``reason`` is "invalid" or "too_large"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pack(data: bytes) -> str:
    """``data`` ready for an RPC argument."""
    return base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode("ascii")


def unpack(text: str, max_bytes: int) -> bytes:
    """The file in ``text`` (from ``pack``, or plain base64); ``Refused`` when it is not one,
    or when it is larger than ``max_bytes`` once unpacked."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("invalid") from None
    if data.startswith(GZIP_MAGIC):
        unzip = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            data, rest = unzip.decompress(data, max_bytes + 1), unzip.unconsumed_tail
        except zlib.error:
            raise Refused("invalid") from None
        if len(data) > max_bytes or rest:
            raise Refused("too_large")
        if not unzip.eof:
            raise Refused("invalid")
    if len(data) > max_bytes:
        raise Refused("too_large")
    return data
