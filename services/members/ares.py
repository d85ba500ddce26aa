"""ARES, the public register of Czech economic subjects (REST API v3), for organisations that are
not in the association's register: their name, address and DIČ by IČO.

Guarantee: ``AresClient.fetch`` ends within ``timeout`` seconds and never raises anything but
``AresUnavailable``: a person waiting on a form gets an answer or a Czech "not available now",
never an exception. ARES answers a subject as ``{"ico", "obchodniJmeno", "sidlo": {...}, "dic",
"pravniForma", ...}`` and an error as ``{"kod": "NENALEZENO", "popis": ...}`` with 404 (or
``CHYBA_VSTUPU`` with 400).
"""
import logging

import eventlet
import requests
from nameko.extensions import DependencyProvider

from services.common.settings import setting

from .domain import DISTRICTS

log = logging.getLogger(__name__)

API_ROOT = "https://ares.gov.cz/ekonomicke-subjekty-v-be/rest/"
# Below WEB_RPC_TIMEOUT_SECONDS (2 s): the registration page asks members with that time-out, and
# members must answer "not available" before the page gives up on it. ARES answers in well under
# a second when it is well; a slower answer is not worth a person's wait. A constant, not a
# setting: it is bound to the page's time-out rather than to anything an operator tunes.
TIMEOUT_SECONDS = 1.5

# pravniForma codes of ARES's PravniForma list that are kinds of our register.
_KINDS = {"801": "obec", "771": "dobrovolný svazek obcí"}


class AresUnavailable(Exception):
    """ARES gave no usable answer this time; the message is a Czech sentence for people."""


def format_postcode(psc) -> str | None:
    """``30100`` (ARES gives a number) as the Czech ``301 00``."""
    digits = str(psc or "").replace(" ", "")
    if not digits:
        return None
    digits = digits.zfill(5) if digits.isdigit() else digits
    return f"{digits[:3]} {digits[3:]}" if len(digits) == 5 and digits.isdigit() else digits


def one_line_address(sidlo: dict | None) -> str | None:
    """A Czech address on one line, as on an envelope: ``náměstí Republiky 1/1, Vnitřní Město,
    301 00 Plzeň``; in a village without streets ``Chválenice 55, 332 05 Chválenice``. The part of
    the municipality comes in when it differs from the municipality's name. A foreign address, or
    one without a municipality, is ARES's own text."""
    if not sidlo:
        return None
    town = sidlo.get("nazevObce")
    if not town or sidlo.get("kodStatu") not in (None, "CZ"):
        return (sidlo.get("textovaAdresa") or "").strip() or None
    part = sidlo.get("nazevCastiObce")
    number = _house_number(sidlo)
    place = sidlo.get("nazevUlice") or part or town
    lines = [f"{place} {number}" if number else place]
    if part and part != town and part != place:
        lines.append(part)
    if town == "Praha" and (sidlo.get("nazevMestskehoObvodu") or "").startswith("Praha "):
        town = sidlo["nazevMestskehoObvodu"]  # Praha 1: the district is part of the address
    postcode = format_postcode(sidlo.get("psc"))
    lines.append(f"{postcode} {town}" if postcode else town)
    return ", ".join(lines)


def _house_number(sidlo: dict) -> str:
    house = sidlo.get("cisloDomovni")
    orientation = sidlo.get("cisloOrientacni")
    letter = sidlo.get("cisloOrientacniPismeno") or ""
    if house is None:
        return f"{orientation}{letter}" if orientation is not None else ""
    # typCisloDomu 2: a registration number (of a cottage, a garage), written "č. ev."
    number = f"č. ev. {house}" if str(sidlo.get("typCisloDomu")) == "2" else str(house)
    return f"{number}/{orientation}{letter}" if orientation is not None else number


def parse_subject(document) -> dict:
    """ARES's JSON of one subject as our fields: name, address, DIČ, district, kind.
    Raises ``ValueError`` when it is not that JSON."""
    if not isinstance(document, dict) or not isinstance(document.get("obchodniJmeno"), str):
        raise ValueError("not an ARES subject")
    sidlo = document.get("sidlo") if isinstance(document.get("sidlo"), dict) else None
    district = (sidlo or {}).get("nazevOkresu")
    dic = document.get("dic")
    return {
        "ico": str(document.get("ico") or ""),
        "name": " ".join(document["obchodniJmeno"].split()),
        "address": one_line_address(sidlo),
        "dic": dic if isinstance(dic, str) and dic else None,
        "district": district if district in DISTRICTS else None,
        "kind": _KINDS.get(str(document.get("pravniForma")), "jiný"),
    }


class AresClient:
    """Looks up one IČO in ARES at ``base_url`` (the API root, ``…/rest/``)."""

    def __init__(self, base_url: str | None = None, timeout: float = TIMEOUT_SECONDS):
        self.root = (base_url or API_ROOT).rstrip("/") + "/"
        self.timeout = timeout

    def fetch(self, ico: str) -> dict | None:
        """The subject's fields (``parse_subject``), or None when ARES does not know the IČO.
        Raises ``AresUnavailable`` on an error, a time-out or an answer we do not understand."""
        url = f"{self.root}ekonomicke-subjekty/{ico}"
        # requests' timeout bounds each wait for a byte; the green time-out bounds the whole call.
        deadline = eventlet.Timeout(self.timeout)
        try:
            answer = requests.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
            if answer.status_code == 404:
                return None
            if answer.status_code != 200:
                raise _unavailable(_status_message(answer.status_code),
                                   f"HTTP {answer.status_code} {_code(answer)} for {ico}")
            return parse_subject(answer.json())
        except eventlet.Timeout as error:
            if error is not deadline:
                raise
            raise _unavailable("Registr ARES neodpověděl včas.", f"no complete answer in time for {ico}") from None
        except requests.Timeout:
            raise _unavailable("Registr ARES neodpověděl včas.", f"timed out for {ico}") from None
        except requests.JSONDecodeError as error:
            raise _unavailable("Registr ARES poslal odpověď, které nerozumíme.", f"{ico}: {error}") from None
        except requests.RequestException as error:
            raise _unavailable("Nepodařilo se spojit s registrem ARES.", f"{type(error).__name__}: {error}") from None
        except ValueError as error:  # JSON of another shape
            raise _unavailable("Registr ARES poslal odpověď, které nerozumíme.", f"{ico}: {error}") from None
        finally:
            deadline.cancel()


def _code(answer) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    return str(body.get("kod", "")) if isinstance(body, dict) else ""


def _status_message(status: int) -> str:
    if status == 400:
        return "Registr ARES dotaz odmítl jako neplatný."
    if status == 429:
        return "Registr ARES teď odmítá další dotazy; zkuste to prosím za chvíli."
    if status >= 500:
        return "Registr ARES hlásí chybu na své straně; zkuste to prosím později."
    return f"Registr ARES odpověděl chybou (HTTP {status})."


def _unavailable(message: str, detail: str) -> AresUnavailable:
    log.warning("ARES unavailable: %s", detail)
    return AresUnavailable(message)


class Ares(DependencyProvider):
    """The ARES client, at ``ARES_URL`` (the API root; blank: the real one)."""

    def setup(self):
        self.client = AresClient(setting(self.container.config, "ARES_URL") or None)

    def get_dependency(self, worker_ctx):
        return self.client
