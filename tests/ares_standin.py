"""A local stand-in for ARES, the register of Czech economic subjects (REST API v3,
``https://ares.gov.cz/ekonomicke-subjekty-v-be/rest/``), for tests.

It answers ``GET <root>ekonomicke-subjekty/<ico>`` as ARES does: 200 with the subject's JSON
(``ico``, ``obchodniJmeno``, ``sidlo`` {...}, ``dic``, ``pravniForma``, ...) for a subject added
with ``add``, 404 ``{"kod": "NENALEZENO", ...}`` for an IČO it does not know, 400
``{"kod": "CHYBA_VSTUPU", ...}`` for one that is not eight digits. ``fail_next(500)`` (or any
status, or 200 with a body that is not JSON) makes the next call fail; ``slow_next(seconds)``
delays the next answer; ``slow = seconds`` delays every answer until set back to 0.

    with AresStandIn() as ares:
        ares.add(PRAHA)
        AresClient(ares.url).fetch("00064581")
"""
import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Two subjects as ARES gives them (the fields our lookup reads, and some it does not).
PRAHA = {
    "ico": "00064581", "obchodniJmeno": "Hlavní město Praha",
    "sidlo": {"kodStatu": "CZ", "nazevStatu": "Česká republika", "kodKraje": 19, "nazevKraje": "Hlavní město Praha",
              "kodOkresu": 3100, "nazevOkresu": "Hlavní město Praha", "kodObce": 554782, "nazevObce": "Praha",
              "kodMestskehoObvodu": 500054, "nazevMestskehoObvodu": "Praha 1", "kodUlice": 457230,
              "nazevUlice": "Mariánské náměstí", "cisloDomovni": 2, "kodCastiObce": 490065,
              "cisloOrientacni": 2, "nazevCastiObce": "Staré Město", "kodAdresnihoMista": 21717281,
              "psc": 11000, "textovaAdresa": "Mariánské náměstí 2/2, Staré Město, 11000 Praha 1",
              "standardizaceAdresy": True, "typCisloDomu": 1},
    "pravniForma": "801", "financniUrad": "005", "datumVzniku": "1990-11-24", "datumAktualizace": "2026-11-02",
    "dic": "CZ00064581", "czNace": ["8411"], "seznamRegistraci": {"stavZdrojeRes": "AKTIVNI"},
}
CHVALENICE = {
    "ico": "12345679", "obchodniJmeno": "Obec Chválenice",  # an invented IČO
    "sidlo": {"kodStatu": "CZ", "nazevStatu": "Česká republika", "nazevKraje": "Plzeňský kraj",
              "nazevOkresu": "Plzeň-město", "nazevObce": "Chválenice", "cisloDomovni": 55,
              "nazevCastiObce": "Chválenice", "psc": 33205, "typCisloDomu": 1,
              "textovaAdresa": "Chválenice 55, 33205 Chválenice"},
    "pravniForma": "801", "dic": "CZ12345679",
}

_NOT_FOUND = {"kod": "NENALEZENO", "popis": "Ekonomický subjekt nebyl nalezen.", "subKod": "VYSTUP_NENALEZENO"}
_BAD_INPUT = {"kod": "CHYBA_VSTUPU", "popis": "Chyba vstupních parametrů.", "subKod": "VSTUP_NEPLATNY_FORMAT"}
_ERRORS = {500: {"kod": "CHYBA_SERVERU", "popis": "Nastala neočekávaná chyba serveru."},
           503: {"kod": "CHYBA_SERVERU", "popis": "Služba není dostupná."}}


class AresStandIn:
    """ARES on 127.0.0.1 and a free port, in a thread; ``url`` is the API root (``…/rest/``)."""

    def __init__(self, *subjects):
        self.requests: list[str] = []  # paths asked for
        self.slow = 0.0
        self._subjects = {}
        self._failures = deque()
        self._delays = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/ekonomicke-subjekty-v-be/rest/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="ares-stand-in", daemon=True)
        self._thread.start()
        for subject in subjects:
            self.add(subject)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self.slow = 0.0
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add(self, subject: dict):
        """Make ARES know a subject (its JSON as ARES gives it, ``ico`` required)."""
        with self._lock:
            self._subjects[subject["ico"]] = subject

    def fail_next(self, status: int, body: bytes | None = None):
        """Answer the next call with ``status`` (ARES's error JSON for it, or ``body``)."""
        with self._lock:
            default = json.dumps(_ERRORS.get(status, {"kod": "CHYBA", "popis": "Chyba."})).encode()
            self._failures.append((status, default if body is None else body))

    def slow_next(self, seconds: float):
        """Answer the next call only after ``seconds``."""
        with self._lock:
            self._delays.append(seconds)

    # The server side

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                delay, (status, body) = stand_in._answer(self.path)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting, as it should

            def log_message(self, format, *args):
                pass

        return Handler

    def _answer(self, path: str):
        with self._lock:
            self.requests.append(path)
            delay = self._delays.popleft() if self._delays else self.slow
            if self._failures:
                return delay, self._failures.popleft()
            match = re.fullmatch(r"/ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/([^/?]*)", path)
            if not match:
                return delay, (404, b'{"kod": "NENALEZENO", "popis": "Neznama adresa."}')
            ico = match.group(1)
            if not re.fullmatch(r"[0-9]{8}", ico):
                return delay, (400, json.dumps(_BAD_INPUT, ensure_ascii=False).encode())
            if ico not in self._subjects:
                return delay, (404, json.dumps(_NOT_FOUND, ensure_ascii=False).encode())
            return delay, (200, json.dumps(self._subjects[ico], ensure_ascii=False).encode())
