"""The console refuses a request body larger than its page takes before parsing it (issue 25,
item 11): anonymous requests and ordinary forms get 64 kB, a file goes only to a page that
takes one, and a bank statement over the limit stated once in common.packed is refused in Czech."""
import time

import requests
from werkzeug import formparser

from services.backoffice.web import FORM_MAX_BYTES
from services.common.packed import STATEMENT_MAX_BYTES, STATEMENT_TOO_LARGE
from tests.integration.test_console import console, csrf_of, logged_in  # noqa: F401 (a fixture)
from tests.integration.test_console_payments import office  # noqa: F401 (a fixture)


def spooled(monkeypatch):
    """Every file part werkzeug would spool (to memory, then disk), as it is asked for."""
    made = []

    def factory(*args, **kwargs):
        made.append(args)
        raise AssertionError("a file part was spooled")
    monkeypatch.setattr(formparser, "SpooledTemporaryFile", factory)
    return made


def test_an_anonymous_ten_megabyte_multipart_login_is_refused_at_once_and_never_spooled(console, monkeypatch):  # noqa: F811
    base = console[0]
    made = spooled(monkeypatch)
    started = time.monotonic()
    answer = requests.post(f"{base}/prihlaseni", data={"email": "a@b.cz", "password": "x", "csrf": "x"},
                           files={"soubor": ("velky.bin", b"\0" * (10 * 1024 * 1024))}, timeout=30)
    assert answer.status_code == 413 and time.monotonic() - started < 5
    assert "Požadavek je příliš velký" in answer.text and "64 kB" in answer.text
    assert answer.headers["Content-Type"].startswith("text/html") and made == []

    # without a Content-Length (chunked), the form is not read past the limit (werkzeug reads none
    # of it unless the server says the stream ends): refused either way, never a 500
    chunks = (b"email=" + b"a" * 4096 for _ in range(64))
    answer = requests.post(f"{base}/prihlaseni", data=chunks, timeout=30,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code in (403, 413) and made == []

    # a small file part is refused too: the login page takes no file
    answer = requests.post(f"{base}/prihlaseni", data={"email": "a@b.cz"}, files={"soubor": ("a.txt", b"abc")},
                           timeout=30)
    assert answer.status_code == 413 and "nepřijímá soubory" in answer.text and made == []


def test_a_signed_in_form_takes_no_file_and_an_upload_page_no_more_than_its_limit(console, monkeypatch):  # noqa: F811
    base = console[0]
    browser = logged_in(base, "staff", {})
    token = csrf_of(browser.get(f"{base}/akce/nova"))
    made = spooled(monkeypatch)
    answer = browser.post(f"{base}/akce/nova", data={"csrf": token, "title": "x" * (FORM_MAX_BYTES + 1)})
    assert answer.status_code == 413
    answer = browser.post(f"{base}/akce/nova", data={"csrf": token}, files={"soubor": ("a.pdf", b"%PDF-1.7")})
    assert answer.status_code == 413 and "nepřijímá soubory" in answer.text and made == []
    # the statement upload takes a statement, not a larger body
    answer = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                          files={"soubor": ("vypis.xml", b"<" + b" " * (STATEMENT_MAX_BYTES + 2 * 1024 * 1024))})
    assert answer.status_code == 413 and "nejvýše 30 MB" in answer.text and made == []


def test_a_statement_just_over_the_limit_is_refused_in_czech(office):  # noqa: F811
    base = office[0]
    browser = logged_in(base, "staff", {})
    token = csrf_of(browser.get(f"{base}/akce"))
    answer = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                          files={"soubor": ("vypis.xml", b"<" + b" " * STATEMENT_MAX_BYTES)})
    assert answer.status_code == 413 and STATEMENT_TOO_LARGE.split(":")[0] in answer.text
    assert "nejvýše 30 MB" in answer.text
