"""Reading PDFs and QR codes back the way a person's tools would."""
import os
import subprocess
import tempfile
import time


def pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def pdf_flowing_text(data: bytes) -> str:
    """The text in reading order, whitespace collapsed: a value that wraps in its column stays whole."""
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def pdf_words(data: bytes, places=2) -> list:
    """Every word on the PDF's pages with its box (points, rounded to ``places``), as pdftotext
    places it from the glyphs drawn: where a reader sees each word, and how large."""
    import re
    from html import unescape

    done = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True)
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                       done.stdout.decode())
    return [(unescape(text), *(round(float(v), places) for v in box)) for *box, text in words]


def page_pixels(data: bytes, resolution=100):
    """The PDF's first page as a greyscale picture (Pillow), printed at ``resolution`` dpi."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        pdf = os.path.join(folder, "doc.pdf")
        with open(pdf, "wb") as out:
            out.write(data)
        subprocess.run(["pdftoppm", "-r", str(resolution), "-png", "-singlefile", pdf, os.path.join(folder, "page")],
                       check=True)
        page = Image.open(os.path.join(folder, "page.png")).convert("L")
        page.load()
    return page


def qr_codes(data: bytes, resolution=150) -> list:
    """Every QR code on the PDF's pages, decoded with zbarimg."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = os.path.join(folder, "doc.pdf")
        with open(pdf, "wb") as out:
            out.write(data)
        subprocess.run(["pdftoppm", "-r", str(resolution), "-png", pdf, os.path.join(folder, "page")], check=True)
        pages = sorted(name for name in os.listdir(folder) if name.endswith(".png"))
        found = subprocess.run(["zbarimg", "--quiet", "--raw", *[os.path.join(folder, p) for p in pages]],
                               capture_output=True)
    return [line for line in found.stdout.decode().splitlines() if line]


def photographed_qr_codes(data: bytes, resolution=100, blur=1.0, angle=3, quality=60) -> list:
    """Every QR code on a PDF's first page as a phone might photograph a printout of it: the page
    at ``resolution`` dpi, out of focus by ``blur`` pixels, turned by ``angle`` degrees, on grey
    paper and saved as a JPEG of ``quality``; decoded with zbarimg."""
    import io

    from PIL import Image, ImageFilter

    with tempfile.TemporaryDirectory() as folder:
        pdf = os.path.join(folder, "doc.pdf")
        with open(pdf, "wb") as out:
            out.write(data)
        subprocess.run(["pdftoppm", "-r", str(resolution), "-png", "-singlefile", pdf, os.path.join(folder, "page")],
                       check=True)
        page = Image.open(os.path.join(folder, "page.png")).convert("L")
    page = page.point(lambda value: 40 + value * 170 // 255)  # grey paper, grey ink
    page = page.filter(ImageFilter.GaussianBlur(blur)).rotate(angle, resample=Image.BICUBIC, expand=True,
                                                              fillcolor=210)
    photo = io.BytesIO()
    page.save(photo, "JPEG", quality=quality)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", "-"], input=photo.getvalue(), capture_output=True)
    return [line for line in found.stdout.decode().splitlines() if line]


def ticket_codes(data: bytes) -> list:
    """The ticket codes among a PDF's QR codes (a ticket of an unpaid fee also has a QR Platba)."""
    return [code for code in qr_codes(data) if not code.startswith("SPD*")]


def spd_codes(data: bytes) -> list:
    """The QR Platba codes on a PDF's pages."""
    return [code for code in qr_codes(data) if code.startswith("SPD*")]


def image_qr_codes(data: bytes) -> list:
    """Every QR code in a picture (a PNG from an email), decoded with zbarimg."""
    with tempfile.NamedTemporaryFile(suffix=".png") as image:
        image.write(data)
        image.flush()
        found = subprocess.run(["zbarimg", "--quiet", "--raw", image.name], capture_output=True)
    return [line for line in found.stdout.decode().splitlines() if line]


def spd_fields(text: str) -> dict:
    """A QR Platba text (``SPD*1.0*ACC:…*AM:…*``) as its fields."""
    head, version, *pairs = text.split("*")
    assert (head, version) == ("SPD", "1.0"), text
    return dict(pair.split(":", 1) for pair in pairs if pair)


def pdf_attachment(message):
    """The first PDF attached to an email: (filename, bytes)."""
    for part in message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            return part.get_filename(), part.get_content()
    raise AssertionError("no PDF attachment")


def download(session, url, tries=3, **options):
    """GET a document the public site renders on demand, as a person's browser would. The site
    waits WEB_RPC_TIMEOUT_SECONDS (2 s) for the documents service, which may still be rendering the
    emails' PDFs (the more so on two cores running two tests at once), and then answers 503 with
    Retry-After: the person asks again after that many seconds. (The 503 itself: test_reliability.)"""
    for _ in range(tries - 1):
        answer = session.get(url, **options)
        if answer.status_code != 503 or "Retry-After" not in answer.headers:
            return answer
        time.sleep(float(answer.headers["Retry-After"]))
    return session.get(url, **options)
