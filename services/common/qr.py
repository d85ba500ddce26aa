"""QR codes for pages, emails and PDFs: error correction M, a quiet zone of four modules,
so that a phone's camera and a standard scanner read them (tickets, QR Platba, TOTP setup)."""
import base64
import io

import segno

BORDER = 4  # modules of quiet zone around every code


def _code(text: str) -> segno.QRCode:
    return segno.make(text, error="m", micro=False)


def png(text: str, scale: int = 5) -> bytes:
    out = io.BytesIO()
    _code(text).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def png_data_uri(text: str, scale: int = 5) -> str:
    return "data:image/png;base64," + base64.b64encode(png(text, scale)).decode("ascii")


def svg_data_uri(text: str, scale: int = 4) -> str:
    uri: str = _code(text).svg_data_uri(scale=scale, border=BORDER)
    return uri


def modules(text: str) -> tuple[bytearray, ...]:
    """The rows of the code's modules (1 dark) without the quiet zone: the code the images show."""
    rows: tuple[bytearray, ...] = _code(text).matrix
    return rows
