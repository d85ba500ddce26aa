"""A local stand-in for the Fio bank API (https://fioapi.fio.cz/v1/rest/), for tests.

It answers the calls ``fiobank`` makes: ``GET <root>last/<token>/transactions.json`` with the
bank's JSON, only the lines added since the previous such call (the bank's bookmark), and
``set-last-id`` / ``set-last-date`` to move the bookmark back. ``fail_next(409)`` (or 401, 500,
or 200 with a body that is not JSON) makes the next call fail without moving the bookmark.

    with FioStandIn() as bank:
        bank.add({"amount_halere": 120000, "variable_symbol": "2026001"})
        fetch_new("token", base_url=bank.url)
"""
import json
import re
import threading
from collections import deque
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

PRAGUE = ZoneInfo("Europe/Prague")
ACCOUNT, BANK, IBAN = "2000145399", "2010", "CZ7520100000002000145399"
_BANK_NAMES = {"2010": "Fio banka, a.s.", "0800": "Česká spořitelna, a.s.", "0100": "Komerční banka, a.s.",
               "0300": "Československá obchodní banka, a. s."}
_ERRORS = {
    401: b"<html><body>Neplatny token</body></html>",
    409: b"",
    500: b"<html><body>Internal Server Error</body></html>",
}


def _fio_date(day: str) -> str:
    """``2026-11-27+0100``: the bank writes a date with the Prague offset of that day."""
    moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), PRAGUE)
    return f"{day}{moment.strftime('%z')}"


def _column(number: int, name: str, value):
    return {"value": value, "name": name, "id": number} if value is not None else None


class FioStandIn:
    """The Fio API on 127.0.0.1 and a free port, in a thread; ``url`` is the API root."""

    def __init__(self, token: str | None = None):
        self.token = token  # None: any token is accepted
        self.requests: list[str] = []  # paths asked for, the token replaced by <token>
        self._lines: list[dict] = []
        self._bookmark = 0  # lines before it have been served by "last"
        self._failures = deque()
        self._next_id = 26962199000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1/rest/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fio-stand-in", daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add(self, line: dict) -> dict:
        """Book a line (a dict like a parsed transaction; ``amount_halere`` required). Returns it
        completed with its ``bank_id`` and defaults, as ``fetch_new`` should give it back."""
        with self._lock:
            self._next_id += 1
            line = {"bank_id": str(self._next_id), "booked_on": "2026-11-27", "currency": "CZK",
                    "variable_symbol": None, "constant_symbol": None, "specific_symbol": None,
                    "counter_account": "2900233333/2010", "counter_name": "Obec Zkušební", "message": None, **line}
            self._lines.append(line)
            return dict(line)

    def fail_next(self, status: int, body: bytes | None = None):
        """Answer the next call with ``status`` (and ``body``) instead of the lines; calls after it
        are answered again. ``fail_next(200, b"{")`` sends JSON that does not parse."""
        with self._lock:
            self._failures.append((status, _ERRORS.get(status, b"") if body is None else body))

    # The server side

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, body, content_type = stand_in._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        return Handler

    def _answer(self, path: str):
        with self._lock:
            match = re.fullmatch(r"/v1/rest/([a-z-]+)/([^/]+)/(.*)", path)
            if not match:
                return 404, b"Not Found", "text/plain"
            action, token, rest = match.groups()
            self.requests.append(f"/v1/rest/{action}/<token>/{rest}")
            if self._failures:
                status, body = self._failures.popleft()
                return status, body, "application/json" if status == 200 else "text/html"
            if self.token is not None and token != self.token:
                return 401, _ERRORS[401], "text/html"
            if action == "last" and rest == "transactions.json":
                lines = self._lines[self._bookmark:]
                self._bookmark = len(self._lines)
                return 200, self._statement(lines), "application/json;charset=UTF-8"
            period = re.fullmatch(r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})/transactions\.json", rest)
            if action == "periods" and period:
                first, last = period.groups()
                lines = [line for line in self._lines if first <= line["booked_on"] <= last]
                return 200, self._statement(lines), "application/json;charset=UTF-8"
            if action == "set-last-id" and re.fullmatch(r"\d+/?", rest):
                last_id = rest.rstrip("/")
                served = [n for n, line in enumerate(self._lines) if line["bank_id"] == last_id]
                self._bookmark = served[0] + 1 if served else 0
                return 200, b"", "text/plain"
            if action == "set-last-date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}/?", rest):
                day = rest.rstrip("/")
                self._bookmark = len([line for line in self._lines if line["booked_on"] <= day])
                return 200, b"", "text/plain"
            return 404, b"Not Found", "text/plain"

    def _statement(self, lines: list[dict]) -> bytes:
        total = sum(line["amount_halere"] for line in self._lines)
        before = total - sum(line["amount_halere"] for line in lines)
        days = sorted(line["booked_on"] for line in lines) or [date.today().isoformat()]
        ids = [int(line["bank_id"]) for line in lines if line["bank_id"].isdigit()]
        info = {
            "accountId": ACCOUNT, "bankId": BANK, "currency": "CZK", "iban": IBAN, "bic": "FIOBCZPPXXX",
            "openingBalance": before / 100, "closingBalance": total / 100,
            "dateStart": _fio_date(days[0]), "dateEnd": _fio_date(days[-1]),
            "yearList": None, "idList": None, "idFrom": min(ids) if ids else None, "idTo": max(ids) if ids else None,
            "idLastDownload": max(ids) if ids else None,
        }
        document = {"accountStatement": {"info": info,
                                         "transactionList": {"transaction": [self._transaction(x) for x in lines]}}}
        return json.dumps(document, ensure_ascii=False).encode()

    @staticmethod
    def _transaction(line: dict) -> dict:
        number, _, bank = (line["counter_account"] or "").partition("/")
        credit = line["amount_halere"] >= 0
        bank_id = int(line["bank_id"]) if line["bank_id"].isdigit() else line["bank_id"]
        columns = {
            "column22": _column(22, "ID pohybu", bank_id),
            "column0": _column(0, "Datum", _fio_date(line["booked_on"])),
            "column1": _column(1, "Objem", line["amount_halere"] / 100),
            "column14": _column(14, "Měna", line["currency"]),
            "column2": _column(2, "Protiúčet", number or None),
            "column10": _column(10, "Název protiúčtu", line["counter_name"]),
            "column3": _column(3, "Kód banky", bank or None),
            "column12": _column(12, "Název banky", _BANK_NAMES.get(bank)),
            "column4": _column(4, "KS", line["constant_symbol"]),
            "column5": _column(5, "VS", line["variable_symbol"]),
            "column6": _column(6, "SS", line["specific_symbol"]),
            "column7": _column(7, "Uživatelská identifikace", line["counter_name"]),
            "column16": _column(16, "Zpráva pro příjemce", line["message"]),
            "column8": _column(8, "Typ", "Bezhotovostní příjem" if credit else "Bezhotovostní platba"),
            "column9": None,
            "column18": None,
            "column25": _column(25, "Komentář", line["message"]),
            "column26": None,
            # Only what we send has an instruction of ours behind it.
            "column17": _column(17, "ID pokynu", None if credit else 31000000000 + int(line["bank_id"][-6:] or 0)),
            "column27": None,
        }
        return columns
