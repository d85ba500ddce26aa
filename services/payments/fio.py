"""Lines from the Fio bank API, in the shape ``statements.parse_statement`` gives them.

Guarantee: a line booked on the account is offered again on every call until it is older than
the window asked for, so a call whose lines were then not stored (the database away, the
process killed) loses nothing: the next one brings them again, and the importer skips what it
has by the bank's id. (The API's "last" call would be cheaper, but it moves Fio's bookmark as
it answers: lines of a failed import would never come back.) A token may be used once in 30
seconds; a call sooner gets HTTP 409.
"""
import logging
from datetime import date
from decimal import Decimal, InvalidOperation

import requests
from fiobank import FioBank, ThrottlingError
from tenacity import stop_after_attempt

from .statements import clean_symbol

log = logging.getLogger(__name__)

API_ROOT = "https://fioapi.fio.cz/v1/rest/"


class FioUnavailable(Exception):
    """The bank did not give us the lines this time. The message is in Czech, for staff;
    ``status`` is the HTTP status when there was one (409: asked again within 30 seconds)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class _FioApi(FioBank):
    """fiobank's client without its own retries: on HTTP 409 it would sleep and ask again inside
    a worker, while the 30 seconds the bank asks for are better waited for by the next poll."""

    def _request(self, url: str, params: dict | None = None) -> requests.Response:
        return FioBank._request.retry_with(stop=stop_after_attempt(1))(self, url, params)


def fetch_new(token: str, since: date, until: date, base_url: str | None = None, timeout: float = 30) -> list[dict]:
    """The lines booked on the Fio account from ``since`` to ``until`` (days, both included).

    ``base_url`` replaces the API root (``https://fioapi.fio.cz/v1/rest/``), for a stand-in in
    tests. Raises ``FioUnavailable`` when the bank cannot be reached or answers with an error or
    with something that is not its JSON.
    """
    root = (base_url or API_ROOT).rstrip("/") + "/"
    try:
        api = _FioApi(token, decimal=True, base_url=root, request_timeout=timeout)
    except ValueError:
        raise FioUnavailable("Chybí token pro přístup k API Fio banky.") from None
    try:
        return [_line(transaction) for transaction in api.period(since, until)]
    except ThrottlingError:
        raise _unavailable("Fio banka dotaz odmítla: token lze použít jen jednou za 30 sekund. "
                           "Zkusíme to znovu později.", 409, "throttled (HTTP 409)") from None
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else None
        raise _unavailable(_http_message(status), status, _hide(str(error), token)) from None
    except requests.JSONDecodeError as error:
        raise _unavailable("Fio banka poslala odpověď, které nerozumíme.", None, _hide(str(error), token)) from None
    except requests.Timeout as error:
        raise _unavailable("Fio banka neodpověděla včas.", None, _hide(str(error), token)) from None
    except requests.RequestException as error:
        raise _unavailable("Nepodařilo se spojit s Fio bankou.", None, _hide(str(error), token)) from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        # An empty answer, JSON of another shape, or a line fiobank cannot read.
        raise _unavailable("Fio banka poslala odpověď, které nerozumíme.", None,
                           _hide(f"{type(error).__name__}: {error}", token)) from None


def _unavailable(message: str, status: int | None, detail: str) -> FioUnavailable:
    log.warning("Fio API unavailable: %s", detail)
    return FioUnavailable(message, status)


def _hide(text: str, token: str) -> str:
    """Error texts of requests carry the URL, and the token is part of it."""
    return text.replace(token.strip(), "***") if token.strip() else text


def _http_message(status: int | None) -> str:
    if status in (401, 403):
        return f"Fio banka odmítla token (HTTP {status}); zkontrolujte ho v nastavení."
    if status is not None and status >= 500:
        return f"Fio banka hlásí chybu na své straně (HTTP {status}). Zkusíme to znovu později."
    return f"Fio banka odpověděla chybou (HTTP {status})."


def _halere(amount) -> int:
    value = Decimal(str(amount)) * 100
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"amount {amount!r} is not in whole haléře")
    return int(value)


def _line(transaction: dict) -> dict:
    if transaction.get("transaction_id") is None or transaction.get("date") is None:
        raise ValueError("a transaction without its id or date")
    if transaction.get("amount") is None:
        raise ValueError("a transaction without an amount")
    try:
        amount_halere = _halere(transaction["amount"])
    except InvalidOperation:
        raise ValueError(f"amount {transaction['amount']!r}") from None
    return {
        "bank_id": str(transaction["transaction_id"]),
        "booked_on": transaction["date"].isoformat(),
        "amount_halere": amount_halere,
        "currency": (transaction.get("currency") or "CZK").upper(),
        "variable_symbol": clean_symbol(transaction.get("variable_symbol")),
        "constant_symbol": clean_symbol(transaction.get("constant_symbol")),
        "specific_symbol": clean_symbol(transaction.get("specific_symbol")),
        "counter_account": transaction.get("account_number_full") or transaction.get("account_number"),
        "counter_name": transaction.get("account_name"),
        "message": transaction.get("recipient_message"),
        "reversal": False,
    }
