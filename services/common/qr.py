"""QR codes for pages, emails and PDFs: error correction M, a quiet zone of four modules,
so that a phone's camera and a standard scanner read them (tickets, QR Platba, TOTP setup)."""
import base64
import io

import segno


def png(text: str, scale: int = 5) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def png_data_uri(text: str, scale: int = 5) -> str:
    return "data:image/png;base64," + base64.b64encode(png(text, scale)).decode("ascii")


def svg_data_uri(text: str, scale: int = 4) -> str:
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=scale, border=4)
