"""The console's rules: who may do what, what makes a password, when a session or an account rests;
which of the lists other services give a page shows, and what a page's question before an action
and its message after it say, with names and counts.

Plain functions and constants: no nameko, no database, no call to another service.
"""
import hmac
import re
import unicodedata
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypedDict
from urllib.parse import quote, unquote, urlencode, urlsplit

import pyotp

from services.common import czech
from services.common.czech import local, plural
from services.common.errors import NotFound, ValidationError
from services.common.vocabulary import (
    LIVE,
    DataboxStatus,
    DeliveryChannel,
    EmailKind,
    EmailStatus,
    EventStatus,
    InvoiceKind,
    MessagePurpose,
    PaymentStatus,
    RegistrationStatus,
    StatementFormat,
)

# A row another service gave (an event, a registration, a payment request, a report): its fields
# are that service's schema's.
Row = Mapping[str, Any]


class RegisterFilter(Protocol):
    """What the register page's links keep (``forms.RegisterFilter``)."""

    query: str
    district: str | None
    membership: str


class RecordSearch(Protocol):
    """A search for a training record (``forms.RecordSearch``)."""

    year: str
    person: str
    ico: str


class MessagePost(Protocol):
    """A message or an announcement posted by its form (``forms.MessagePost``)."""

    values: dict[str, Any]
    greeting: str | None
    audience: str


class FormSession(TypedDict):
    """One session as the event form's line gives it (``parse_sessions``), times naive in Prague."""

    starts_at: datetime
    ends_at: datetime
    title: str | None
    venue: str | None


class SealNotice(TypedDict):
    """The line about the certificates' seal (``seal_notice``): ``problem`` when it needs a look."""

    problem: bool
    text: str


class AttendanceWindow(TypedDict):
    """What an event page offers (``attendance_window``), with its start and end in Czech."""

    started: bool
    ended: bool
    opens: str
    ends: str
    # An event of several sessions: each with its index, Czech label (day, hours) and whether it began.
    sessions: list[dict[str, Any]]


class StaffRole(StrEnum):
    """A staff account's role, and the right a page needs (a role has its own right and those below)."""

    ADMIN = "admin"  # accounts, the member register, the audit
    STAFF = "staff"  # events, registrations, payments, emails
    DOOR = "door"  # check-in at the door


class AuditOutcome(StrEnum):
    """How an audited action ended (``audit.outcome``; NULL on rows from before it was kept: done)."""

    STARTED = "started"  # written before the action; not yet known how it ended
    DONE = "done"
    REFUSED = "refused"  # with the refusal's code as ``error``
    FAILED = "failed"  # with the error's code or type as ``error``


# What each role may do. A page names the right it needs; a test walks every page with every role.
RIGHTS: dict[str, set[StaffRole]] = {
    StaffRole.ADMIN: {StaffRole.DOOR, StaffRole.STAFF, StaffRole.ADMIN},
    StaffRole.STAFF: {StaffRole.DOOR, StaffRole.STAFF},
    StaffRole.DOOR: {StaffRole.DOOR},
}
ROLES = tuple(RIGHTS)

MIN_PASSWORD_LENGTH = 12
SESSION_IDLE = timedelta(minutes=30)
SESSION_LONGEST = timedelta(hours=12)
# Login throttling: this many failures in the window lock the account for the window.
FAILURES_ALLOWED = 5
FAILURE_WINDOW = timedelta(minutes=15)
# One address may fail this often in the window: much more than one account, because the whole
# office can sit behind one VPN or proxy address (five typos of one person must not lock out
# everyone), yet still few enough to stop a password spray over many accounts.
ADDRESS_FAILURES_ALLOWED = 30
# Wrong codes of the second factor: this many in the window lock the account's second factor
# (a correct password does not clear the count; a correct code or the window's end does), and
# one login (one session waiting for its code) may try this many before it must start again.
CODE_FAILURES_ALLOWED = 5
CODE_FAILURES_PER_LOGIN = 3
# Codes one step before or after the current one are accepted (a phone's clock a little off).
CODE_STEPS_ACCEPTED = 1


def may(role: str, right: str) -> bool:
    return right in RIGHTS.get(role, ())


def check_role(role: str) -> None:
    if role not in RIGHTS:
        raise ValidationError({"role": "Vyberte roli: správce, kancelář, nebo vstup."})


def check_new_password(password: str, email: str) -> None:
    """A Czech reason why ``password`` will not do, raised as a field error."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": f"Heslo musí mít alespoň {MIN_PASSWORD_LENGTH} znaků."})
    if email.split("@")[0].casefold() in password.casefold():
        raise ValidationError({"password": "Heslo nesmí obsahovat vaše jméno z e-mailu."})


def session_alive(session: Row, now: datetime) -> bool:
    last_seen_at: datetime = session["last_seen_at"]
    created_at: datetime = session["created_at"]
    return now - last_seen_at < SESSION_IDLE and now - created_at < SESSION_LONGEST


def needs_second_factor(account: Row) -> bool:
    """An administrator must have TOTP; anyone may; one whose code an administrator reset sets it
    up again at the next login."""
    role: str = account["role"]
    return (role == StaffRole.ADMIN or account["totp_secret"] is not None
            or bool(account.get("totp_required")))


def disable_consequences(account: Row, own: bool = False) -> list[str]:
    """What disabling ``account`` does, as the confirmation says it."""
    said = [f"{account['name']} se nebude moci přihlásit a všechna jeho přihlášení skončí hned.",
            "Účet zůstane v seznamu (i se záznamy v auditu) a lze ho znovu zapnout."]
    if own:
        said.append("Jde o váš vlastní účet: budete hned odhlášeni.")
    return said


def role_consequences(account: Row, role: str) -> list[str]:
    said = [f"Role bude {role_name(role)} (dosud {role_name(account['role'])}). Všechna přihlášení účtu "
            "skončí; při dalším přihlášení platí nová oprávnění."]
    if role == StaffRole.ADMIN and not account["totp_secret"]:
        said.append("Správce musí mít ověřovací kód: při příštím přihlášení si ho nastaví.")
    return said


def code_reset_consequences(account: Row) -> list[str]:
    return ["Ověřovací kód z dosavadního telefonu přestane platit a všechna přihlášení účtu skončí hned.",
            f"{account['name']} si při příštím přihlášení nastaví nový kód (načte QR kód do telefonu); "
            "bez něj se nepřihlásí."]


def code_step(secret: str, code: object, now: datetime, last_step: int | None = None) -> int | None:
    """The TOTP time step ``code`` is right for at ``now`` (one step either way accepted), when it
    is later than ``last_step``, the step of the code used last: a code is accepted once. None
    when the code is wrong or was used already."""
    code = str(code or "").strip().replace(" ", "")
    if not secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - CODE_STEPS_ACCEPTED, current + CODE_STEPS_ACCEPTED + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def code_used(secret: str, code: object, now: datetime, last_step: int | None) -> bool:
    """Whether ``code`` is right but its step was used already (to say so rather than "wrong")."""
    return last_step is not None and code_step(secret, code, now) is not None and \
        code_step(secret, code, now, last_step) is None


def _unsafe(text: str) -> bool:
    return "\\" in text or any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in text)


def local_path(target: object) -> str:
    """``target`` when it is a path of this console, else ``/``: never an address elsewhere (an
    open redirect after login). One leading ``/`` and not two; no backslash (browsers read
    ``/\\evil`` as ``//evil``), control character or white space, also once percent-decoded
    (no ``/%5Cevil``); no scheme or host however the URL is parsed."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    if _unsafe(target) or any(ch.isspace() for ch in target):
        return "/"
    decoded = unquote(target)
    if _unsafe(decoded) or decoded.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or urlsplit(decoded).netloc:
        return "/"
    return target


# One session a line in the event form: ``3. 3. 2027 9:00–16:00``, then optionally
# `` | its title`` and `` | its venue`` (when it is not the event's).
SESSION_LINE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\s+(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")


def parse_sessions(text: str) -> list[FormSession]:
    """The sessions typed in the event form, with times in Prague (naive); the registrations
    service checks their order. A line it cannot read is refused by its number."""
    sessions: list[FormSession] = []
    for number, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        when, *rest = (part.strip() for part in line.split("|"))
        found = SESSION_LINE.fullmatch(when)
        if found is None or len(rest) > 2:
            raise ValidationError({"sessions": f"{number}. termín čteme jako „3. 3. 2027 9:00–16:00 | název | místo“ "
                                               "(název a místo jsou nepovinné)."})
        d, m, y, sh, sm, eh, em = (int(value) for value in found.groups())
        try:
            starts, ends = datetime(y, m, d, sh, sm), datetime(y, m, d, eh, em)
        except ValueError:
            raise ValidationError({"sessions": f"{number}. termín nemá platné datum nebo čas."}) from None
        title, venue = (rest + ["", ""])[:2]
        sessions.append({"starts_at": starts, "ends_at": ends, "title": title or None, "venue": venue or None})
    return sessions


def sessions_text(sessions: Iterable[Row] | None, venue: str | None) -> str:
    """An event's sessions (aware times) as the form shows them, the way ``parse_sessions`` reads them."""
    lines: list[str] = []
    for session in sessions or ():
        starts, ends = (local(datetime.fromisoformat(session[field])) for field in ("starts_at", "ends_at"))
        line = (f"{starts.day}. {starts.month}. {starts.year} "
                f"{starts.hour}:{starts.minute:02d}–{ends.hour}:{ends.minute:02d}")
        extra = [session.get("title") or "", session.get("venue") if session.get("venue") not in (None, venue) else ""]
        while extra and not extra[-1]:
            extra.pop()
        lines.append(line + "".join(f" | {part}" if part else " |" for part in extra))
    return "\n".join(lines)


def question_key(label: str) -> str:
    """A question's key made from its text: lower case without diacritics, words joined by ``_``,
    at most 40 characters (``Dotaz na lektora`` -> ``dotaz_na_lektora``)."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return "_".join(re.findall(r"[a-z0-9]+", plain))[:40].strip("_")


def question_keys(kept: Sequence[str | None], labels: Sequence[str]) -> list[str]:
    """The keys of an event's questions: ``kept[i]`` where the question has one already, else made
    from ``labels[i]`` (``question_key``, ``otazka`` for a label without letters), with ``_2``,
    ``_3`` added where another question of the event has the key already."""
    taken = {key for key in kept if key}
    keys: list[str] = []
    for key, label in zip(kept, labels, strict=True):
        if not key:
            base = question_key(label) or "otazka"
            key, number = base, 1
            while key in taken:
                number += 1
                key = f"{base[:40 - len(str(number)) - 1]}_{number}"
            taken.add(key)
        keys.append(key)
    return keys


# What an action will do and did, as the confirmation and the message after it say it.

def full_name(registration: Row) -> str:
    return f"{registration['first_name']} {registration['last_name']}"


def cancel_consequences(registration: Row, successor: Row | None) -> list[str]:
    """What cancelling ``registration`` sets off: the person's email, and the seat going to
    ``successor`` (the first on the waitlist), who is told too."""
    said = [f"{full_name(registration)} ({registration['email']}) dostane e-mail, že je přihláška zrušená."]
    if registration["status"] == RegistrationStatus.WAITLISTED:
        said.append("Na akci zatím nemá místo: uvolní se jen místo na čekací listině.")
    elif successor is not None:
        said.append(f"Místo dostane {full_name(successor)}, {successor['waitlist_position']}. na čekací listině, "
                    "a dostane o tom e-mail se vstupenkou.")
    else:
        said.append("Místo se uvolní pro další přihlášky; na čekací listině nikdo není.")
    if registration.get("paid_at"):
        said.append("Přihláška je zaplacená: platba se objeví mezi platbami k vrácení.")
    said.append("Zrušenou přihlášku lze potom obnovit, dokud akce nezačne.")
    return said


def cancel_done(registration: Row, successor: Row | None) -> str:
    done = f"Přihláška je zrušená: {full_name(registration)}. E-mail odchází."
    if successor is not None:
        done += f" Místo dostal(a) {full_name(successor)} z čekací listiny."
    return done


def promote_consequences(registration: Row) -> list[str]:
    """What giving a waitlisted ``registration`` a seat of its own sets off."""
    event, name = registration["event"], full_name(registration)
    return [f"Kapacita akce se zvýší z {event['capacity']} na {event['capacity'] + 1}; nikdo jiný o místo nepřijde "
            "ani se neposune v pořadí.",
            f"{name} ({registration['email']}) dostane e-mail s potvrzením a vstupenkou"
            + (f" a výzvou k platbě {czech.price(registration['price'])}." if registration["price"] else ".")]


def promote_done(registration: Row) -> str:
    return (f"{full_name(registration)} má místo na akci (kapacita je teď {registration['event']['capacity'] + 1}). "
            "Potvrzení odchází e-mailem.")


def restore_consequences(registration: Row, stats: Row) -> list[str]:
    """What taking back a cancellation does: a seat when one is free, else the end of the
    waitlist (``stats``: the event's counts now). The restored registration is a new one: a new
    ticket, and with a fee a new request to pay (its own variable symbol), made once it has a
    seat; what was paid for the cancelled one is not carried over (its refund stays as it is)."""
    name, fee = full_name(registration), registration["price"]
    if stats["confirmed"] < stats["capacity"]:
        said = [f"Volné místo je: {name} bude znovu potvrzen(a) a dostane e-mail s novou vstupenkou"
                + (f" a s novou výzvou k platbě ({czech.price(fee)}) s novým variabilním symbolem." if fee else ".")]
    else:
        said = [f"Akce je plná: {name} bude na čekací listině jako {stats['waitlisted'] + 1}. v pořadí "
                "a dostane o tom e-mail."
                + (f" Výzvu k platbě ({czech.price(fee)}) dostane, až získá místo." if fee else "")]
    said.append("Původní vstupenka zůstane neplatná.")
    payment = registration.get("payment") or {}
    if fee and (registration.get("paid_at") or payment.get("late_refused")):
        said.append("Zrušená přihláška byla zaplacená: platba se na obnovenou přihlášku nepřevádí, "
                    f"{name} bude vyzván(a) zaplatit znovu. Vrácení původní platby zůstává, jak je "
                    "(mezi platbami k vrácení, nebo už vrácená).")
    return said


def restore_done(restored: Row) -> str:
    name = full_name(restored)
    if restored["status"] == RegistrationStatus.CONFIRMED:
        return (f"Přihláška je obnovená: {name} má znovu místo. E-mail se vstupenkou"
                + (f" a výzvou k platbě ({czech.price(restored['price'])}) odchází." if restored["price"]
                   else " odchází."))
    return (f"Přihláška je obnovená: {name} je na čekací listině jako {restored['waitlist_position']}. "
            "v pořadí. E-mail odchází.")


def substitute_problems(data: Row) -> dict[str, str]:
    """What the substitute form lacks, said before the confirmation (the registrations service
    checks everything again when the seat is handed over)."""
    problems: dict[str, str] = {}
    for field, label in (("first_name", "jméno"), ("last_name", "příjmení"), ("email", "e-mail")):
        if not data.get(field):
            problems[field] = f"Vyplňte prosím {label} náhradníka."
    if data.get("email") and "@" not in data["email"]:
        problems["email"] = "Zadejte e-mail ve tvaru jmeno@obec.cz."
    if not data.get("gdpr_consent"):
        problems["gdpr_consent"] = "Náhradník musí souhlasit se zpracováním osobních údajů."
    return problems


def substitute_question(registration: Row, data: Row) -> str:
    return f"Předat místo: {full_name(registration)} → {data['first_name']} {data['last_name']}?"


def substitute_consequences(registration: Row, data: Row) -> list[str]:
    """What handing ``registration``'s seat to the substitute of the form (``data``) sets off."""
    return [f"{data['first_name']} {data['last_name']} ({data['email']}) dostane potvrzení "
            "s vlastní vstupenkou; místo, odpovědi i platba přecházejí na něj.",
            f"{full_name(registration)} ({registration['email']}) dostane e-mail, "
            "že místo předal(a); jeho (její) vstupenka přestane platit.",
            "Předání nelze vzít zpět."]


def substitute_done(registration: Row, new: Row) -> str:
    return (f"Místo předáno: {full_name(registration)} → {full_name(new)}. "
            "Oba dostávají e-mail, náhradník se svou vstupenkou.")


# Attendance and certificates: what marking, taking back, issuing and releasing set off.

def names(people: Iterable[Row]) -> str:
    """``Jana Nováková, Petr Malý`` (everyone: staff must see whom an action touches)."""
    return ", ".join(person["name"] if "name" in person else full_name(person) for person in people)


def of_people(count: int) -> str:
    """``1 osoby``, ``3 osob`` (genitive: účast 3 osob)."""
    return plural(count, "osoby", "osob", "osob")


def to_attendees(count: int) -> str:
    """``1 účastníkovi``, ``3 účastníkům`` (dative: odeslat osvědčení 3 účastníkům)."""
    return plural(count, "účastníkovi", "účastníkům", "účastníkům")


def seal_notice(status: Row | None, now: datetime) -> SealNotice:
    """The line on an accredited event's certificates about their electronic seal (documents'
    ``seal_status``, None when documents did not answer): ``problem`` when certificates go out
    unsealed, with a sample seal or an expired one."""
    if status is None:
        return {"problem": True, "text": "Zda se osvědčení pečetí, teď nelze zjistit (služba dokumentů "
                                         "neodpovídá)."}
    if not status["configured"]:
        return {"problem": True, "text": "Osvědčení se vydávají bez elektronické pečeti: certifikát pečeti "
                                         "není nastaven (CERTIFICATE_SEAL_FILE a CERTIFICATE_SEAL_PASSWORD). "
                                         "Pravost lze ověřit jen na stránce ověření podle čísla osvědčení."}
    until = czech.date(datetime.fromisoformat(status["valid_until"]))
    if status["expired"]:
        return {"problem": True, "text": f"Certifikát elektronické pečeti platil do {until}: pečeť na nových "
                                         "osvědčeních už nikdo neověří jako platnou. Nastavte nový certifikát."}
    if status["sample"]:
        return {"problem": True, "text": "Osvědčení se pečetí jen vzorovým certifikátem (VZOREK, pro zkoušení): "
                                         "jejich pečeť nikdo neověří jako platnou. Nastavte certifikát pečeti "
                                         "sdružení."}
    soon = datetime.fromisoformat(status["valid_until"]) - now < timedelta(days=30)
    return {"problem": soon, "text": f"Osvědčení nesou elektronickou pečeť ({status['subject']}), platnou "
                                     f"do {until}." + (" Včas nastavte nový certifikát." if soon else "")}


def attendance_window(event: Row, now: datetime) -> AttendanceWindow:
    """What the event page offers: attendance from the start (of each session, for an event of
    several: a column per session in the sheet), certificates after the end."""
    starts, ends = (datetime.fromisoformat(event[field]) for field in ("starts_at", "ends_at"))
    hours = event.get("session_hours") or []
    sessions = [{"index": index, "label": f"{index + 1}. termín {czech.day(item['starts_at'])}"
                 + (f" ({hours[index]} h)" if index < len(hours) else ""),
                 "begun": now >= datetime.fromisoformat(item["starts_at"])}
                for index, item in enumerate(event.get("sessions") or [])]
    return {"started": now >= starts, "ended": now >= ends, "opens": czech.date_time(starts),
            "ends": czech.date_time(ends), "sessions": sessions}


def attendance_consequences(people: Sequence[Row], event: Row) -> list[str]:
    """What marking ``people`` (the ticked confirmed registrations) as attended does: it sends nothing."""
    said = [f"Účast se zapíše: {names(people)}." if people else "Zaškrtnuté přihlášky nejsou potvrzené."]
    said.append("Osvědčení se zatím neposílají: vydávají se po skončení akce tlačítkem „Vydat osvědčení“."
                if event["accreditation_number"] else "Nikomu se nic neposílá; je to jen záznam.")
    said.append("Účast lze zrušit, dokud dotyčný nedostane osvědčení.")
    return said


def attendance_marked(people: Iterable[Row], marked_ids: Container[int]) -> str:
    """What marking did: whose attendance is new (``marked_ids``), or that nothing changed."""
    done = [r for r in people if r["id"] in marked_ids]
    return (f"Účast potvrzena: {names(done)}. Nic se neposílalo." if done
            else "Účast těchto lidí už byla potvrzená; nic se nezměnilo.")


def unmark_consequences(registration: Row) -> list[str]:
    name = full_name(registration)
    return [f"Účast se smaže: {name} se nebude vést jako účastník akce "
            f"{registration['event']['title']}, nedostane osvědčení a akce se nezapočte "
            "do evidence vzdělávání.",
            "Nikomu se nic neposílá. Účast lze později potvrdit znovu."]


def nobody_to_certify(plan: Row) -> str:
    waiting = f" Na zaplacení čeká: {names(plan['waiting_payment'])}." if plan["waiting_payment"] else ""
    return "Není komu vydat osvědčení." + waiting


def certificates_consequences(plan: Row) -> list[str]:
    """What issuing the certificates of ``plan`` (registrations' ``certificate_plan``) sets off."""
    said = [f"E-mail s osvědčením v PDF dostanou: {names(plan['issue'])}.",
            "Každé osvědčení dostane své číslo v evidenci osvědčení; odeslané nelze vzít zpět."]
    if plan["waiting_payment"]:
        said.append(f"{plural(len(plan['waiting_payment']), 'čeká', 'čekají', 'čeká')} na zaplacení: "
                    f"{names(plan['waiting_payment'])}. Osvědčení dostanou automaticky, jakmile zaplatí, "
                    "nebo když je uvolníte bez platby.")
    if plan["issued"]:
        said.append(f"Už vydaná osvědčení ({len(plan['issued'])}) se znovu neposílají.")
    return said


def certificates_done(done: Row) -> str:
    message = f"Osvědčení odeslána {to_attendees(done['issued'])}: {names(done['issued_to'])}." \
        if done["issued"] else "Žádné nové osvědčení se neodeslalo."
    if done["waiting"]:
        message += f" Na zaplacení čeká: {names(done['waiting'])}."
    return message


def release_consequences(registration: Row, plan: Row) -> list[str]:
    """What releasing an unpaid ``registration``'s certificate does; when it goes depends on ``plan``."""
    when = ("Osvědčení odejde e-mailem hned: osvědčení této akce už byla vydána." if plan["started"]
            else "Osvědčení odejde s ostatními, až je vydáte tlačítkem „Vydat osvědčení“.")
    return [f"Přihláška stojí {czech.price(registration['price'])} a není zaplacená. "
            "Dluh trvá dál; jen osvědčení už na platbu nečeká.", when,
            "Rozhodnutí se zapíše i s vaším jménem."]


# The member register's pages: the filter's Czech words, the forms' days, the import's question.
MEMBERSHIP_FILTERS = {"clenove": "member", "necleni": "non_member", "byvali": "former"}
CZECH_DAY = re.compile(r"\s*(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\s*")


def form_day(text: str | None) -> str | None:
    """A day typed in a form as the members service takes it: ISO as a date field sends it, or
    ``1. 1. 2005`` as Czech write it (a browser without a date picker), else as typed (refused
    there, in Czech); blank is None."""
    text = (text or "").strip()
    if not text:
        return None
    found = CZECH_DAY.fullmatch(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return text


def organisations_word(count: int) -> str:
    """``1 organizaci``, ``3 organizace``, ``5 organizací`` (the accusative after a verb)."""
    return plural(count, "organizaci", "organizace", "organizací")


def import_question(report: Row) -> str:
    """``Nahrát 12 nových a změnit 3 organizace?``: what a register import would store."""
    created, updated = report["created"], report["updated"]
    if created and updated:
        return (f"Nahrát {plural(created, 'novou', 'nové', 'nových')} a změnit "
                f"{organisations_word(updated)}?")
    if created:
        return f"Nahrát {plural(created, 'novou organizaci', 'nové organizace', 'nových organizací')}?"
    return f"Změnit {organisations_word(updated)}?"


SHOWN_IMPORT_ERRORS = 20


def import_consequences(report: Row) -> list[str]:
    """The sentences under the import's question: what stays, which lines are left out and why."""
    sentences: list[str] = []
    if report["unchanged"]:
        sentences.append(f"Beze změny: {report['unchanged']}.")
    if report["failed"]:
        sentences.append(f"Chybné řádky se nenahrají ({report['failed']}):")
        sentences += [f"řádek {e['line']}: {e['reason']}" for e in report["errors"][:SHOWN_IMPORT_ERRORS]]
        if len(report["errors"]) > SHOWN_IMPORT_ERRORS:
            sentences.append(f"… a dalších {len(report['errors']) - SHOWN_IMPORT_ERRORS}.")
    sentences.append("Organizace, které v souboru nejsou, ani kontakty se nemění.")
    return sentences


def import_done(report: Row) -> str:
    """What an import stored, said afterwards."""
    said = f"Evidence nahrána: nové {report['created']}, změněné {report['updated']}, " \
           f"beze změny {report['unchanged']}, chybné {report['failed']}."
    if report["errors"]:
        said += " Nenahrané řádky: " + ", ".join(str(e["line"]) for e in report["errors"][:SHOWN_IMPORT_ERRORS])
        said += "." if len(report["errors"]) <= SHOWN_IMPORT_ERRORS else " a další."
    return said


def changed_text(changed: Sequence[str]) -> str:
    """``název, okres`` (what a saved form changed), or that nothing did."""
    return ", ".join(changed) if changed else "nic se nezměnilo"


CONTACT_LABELS = {"first_name": "jméno", "last_name": "příjmení", "role": "funkce", "email": "e-mail",
                  "phone": "telefon", "wants_announcements": "informační servis"}


def contact_changes(changed: Iterable[str]) -> str:
    """What a saved contact form changed (the members service's field names), in Czech."""
    return changed_text([CONTACT_LABELS[field] for field in changed])


def contact_of(contacts: Iterable[Row], contact_id: object) -> Row:
    """The organisation's contact ``contact_id``; NotFound when it has none such."""
    found = by_id(contacts, contact_id)
    if found is None:
        raise NotFound("contact_not_found", "Kontakt nebyl nalezen.")
    return found


def remove_contact_consequences(contact: Row, organisation: Row) -> list[str]:
    said = [f"Kontakt {full_name(contact)} ({contact['role'] or 'bez funkce'}, {contact['email'] or 'bez e-mailu'}) "
            f"se z evidence organizace {organisation['name']} smaže; vrátit to nelze, jen ho "
            f"přidat znovu."]
    if contact["wants_announcements"] and contact["email"]:
        said.append("Přestane dostávat oznámení sdružení.")
    return said


def ares_organisation(found: Row) -> dict[str, Any]:
    """An organisation as ARES has it (members' lookup), as the register stores it."""
    return {field: found[field] for field in ("ico", "name", "kind", "district", "address", "dic")}


def organisation_added(name: str, ico: str) -> str:
    """What the console says after adding an organisation from ARES."""
    return f"Organizace {name} (IČO {ico}) je přidána do evidence podle registru ARES. Zatím není členem."


def organisation_already_kept(name: str, ico: str) -> str:
    """What the console says when the organisation to add was in the register already."""
    return f"Organizace {name} (IČO {ico}) už v evidenci je; nic nového se nepřidalo."


def register_links(shown: RegisterFilter, listing: Row) -> dict[str, str | None]:
    """The register page's links to the previous and the next page (None where there is none)
    that keep its filter (``shown``: ``forms.RegisterFilter``)."""
    def link(number: int) -> str:
        kept = {"hledat": shown.query, "okres": shown.district or "", "clenstvi": shown.membership, "strana": number}
        return "/clenove?" + urlencode({key: value for key, value in kept.items() if value})
    return {"previous": link(listing["page"] - 1) if listing["page"] > 1 else None,
            "next": link(listing["page"] + 1) if listing["page"] < listing["pages"] else None}


# Finding a training record: the search field offers organisations as ``Name (IČO)``.
CHOSEN_ICO = re.compile(r"(?:.*\()?\s*(\d{8})\s*\)?\s*")


def organisation_choice(organisation: Row) -> str:
    """How the search field offers an organisation: ``Obec Chotěšov (00256901)``."""
    return f"{organisation['name']} ({organisation['ico']})"


def chosen_ico(typed: str) -> str | None:
    """The IČO in what was typed into the search field: a whole IČO, or an offered choice
    ``Name (IČO)``; None for a name, to be searched for."""
    found = CHOSEN_ICO.fullmatch(typed or "")
    return found.group(1) if found else None


def year_query(year: object) -> str:
    """``?rok=2026`` to keep the year asked for in a link; "" without one."""
    return f"?{urlencode({'rok': year})}" if year else ""


# The accountant's export: which month, and its files as staff read them.
ACCOUNTING_FORMATS = {"pohoda": "XML pro Pohodu", "xlsx": "tabulka XLSX", "isdoc": "ISDOC (ZIP)"}


def previous_month(today: date) -> str:
    """The month before ``today``'s, ``2028-03`` on 12. 4. 2028: the one the accountant closes."""
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def month_label(month: str) -> str:
    """``2028-04`` as ``duben 2028`` (the text as given when it is no month)."""
    found = czech.month_of(month)
    return czech.month_name(*found) if found else month


def file_part(text: object) -> str:
    """``text`` as a safe part of a download's file name: ``AK/PV-1/2026`` -> ``AK-PV-1-2026``."""
    return re.sub(r"[^0-9A-Za-z]+", "-", str(text or "")).strip("-") or "zprava"


def record_address(search: RecordSearch) -> str | None:
    """Where a search for a training record (``forms.RecordSearch``) goes straight away: the
    organisation's record for an IČO typed or chosen, the person's for an email; None: the
    search page lists what the names match."""
    if search.ico:
        return f"/vzdelavani/{quote(search.ico, safe='')}" + year_query(search.year)
    if "@" in search.person:
        return f"/vzdelavani/osoba?{urlencode({'email': search.person})}"
    return None


# The door: finding a person who forgot the ticket.

def folded(text: str) -> str:
    """``text`` as the door's search compares it: lower case, without diacritics."""
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()


MIN_NAME_QUERY = 2
MAX_DOOR_MATCHES = 20


def door_matches(registrations: Iterable[Row], query: str) -> list[Row]:
    """The confirmed registrations whose name holds every word of ``query`` (``nova jan`` finds
    Jana Nováková), whatever the diacritics and the case; by surname, at most ``MAX_DOOR_MATCHES``.
    A query shorter than ``MIN_NAME_QUERY`` letters finds nobody."""
    words = folded(query).split()
    if len("".join(words)) < MIN_NAME_QUERY:
        return []
    found = [r for r in registrations if r["status"] == RegistrationStatus.CONFIRMED
             and all(word in folded(f"{r['first_name']} {r['last_name']}") for word in words)]
    return sorted(found, key=lambda r: (folded(r["last_name"]), folded(r["first_name"]), r["id"]))[:MAX_DOOR_MATCHES]


def with_organisation(registration: Row) -> str:
    """``Jana Nováková (Obec Chotěšov)``, or the name alone when no organisation was given."""
    organisation = registration.get("organisation_name")
    return f"{full_name(registration)} ({organisation})" if organisation else full_name(registration)


def door_details(event_id: int, any_day: bool, **known: Any) -> dict[str, Any]:
    """The audit details of a check-in: the event, what is known of the person, and whether the
    door admitted them on a day the event does not take place on."""
    return {"event_id": event_id, **known, **({"outside_event_days": True} if any_day else {})}


def admissible(registration: Row) -> bool:
    """Whether the door may admit ``registration`` (confirmed, not checked in yet)."""
    status: str = registration["status"]
    return status == RegistrationStatus.CONFIRMED and not registration["checked_in_at"]


# What the door's question says before a person without a ticket is admitted.
WITHOUT_TICKET_SAID = ("Přihláška je potvrzená, jen vstupenku u sebe nemá.",
                       "Vstup se zapíše do auditu jako vstup bez vstupenky.")


def outside_days_question(message: str) -> str:
    """The door's question when a ticket is genuine but the event is not today: the registrations
    service's reason (``Akce je až 15. 12. 2026.``) with the question to admit all the same."""
    return f"{message.rstrip('.')} – opravdu vpustit?"


# Events: what publishing, cancelling and deleting set off.

def cancel_event_consequences(stats: Row, reason: str) -> list[str]:
    """Who is told, with the reason, when a published event is cancelled."""
    confirmed, waiting = stats["confirmed"], stats["waitlisted"]
    if confirmed or waiting:
        people = " a ".join(([plural(confirmed, "přihlášený", "přihlášení", "přihlášených")] if confirmed else [])
                            + ([f"{waiting} na čekací listině"] if waiting else []))
        verb = "dostane" if confirmed + waiting == 1 else "dostanou"
        said = [f"{people} {verb} e-mail s důvodem: „{reason}“"]
    else:
        said = ["Nikdo není přihlášený, e-mail nikomu nepůjde."]
    said.append("Všechny přihlášky se zruší a akce zmizí z webu. Zrušení nelze vrátit.")
    return said


def statement_problem(fields: Mapping[str, Any] | None, message: str) -> str:
    """A refusal's messages as one text for the page (a field may carry a list of them)."""
    texts: list[str] = []
    for value in (fields or {}).values():
        texts.extend(str(item) for item in (value if isinstance(value, (list, tuple)) else [value]))
    return " ".join(texts) or message


def publish_consequences(event: Row) -> list[str]:
    """What publishing ``event`` sets off."""
    closes = event.get("registration_closes_at")
    said = ["Objeví se na webu a půjde se na ni přihlásit"
            + (f" (do {czech.date_time(datetime.fromisoformat(closes))})." if closes else ".")]
    said.append("Přihlášení dostanou e-mailem potvrzení se vstupenkou"
                + (" a ti, kdo platí, i výzvu k platbě." if event.get("price_non_member") or event.get("price_member")
                   else "."))
    said.append("Zveřejněnou akci už nelze smazat, jen zrušit (všem přihlášeným pak přijde e-mail).")
    return said


def cancel_event_done(event: Row, stats: Row) -> str:
    told = stats["confirmed"] + stats["waitlisted"]
    return f"Akce „{event['title']}“ je zrušená." + (
        f" E-mail s důvodem odchází: {plural(told, 'osoba', 'osoby', 'osob')}." if told else "")


# The lists of events and registrations as the pages filter them.

def events_shown(events: Sequence[Row], which: str, topic: str | None,
                 now: datetime) -> tuple[list[Row], list[str]]:
    """The list of events filtered: ``which`` (``probehle``: ended before ``now``, ``koncepty``:
    drafts; anything else as given) and then ``topic`` (None: every one). Returns ``(shown,
    topics)``, the topics being those of the events before the topic is chosen, sorted."""
    if which == "probehle":
        events = [e for e in events if datetime.fromisoformat(e["ends_at"]) < now]
    elif which == "koncepty":
        events = [e for e in events if e["status"] == EventStatus.DRAFT]
    topics = sorted({e["topic"] for e in events})
    return [e for e in events if topic is None or e["topic"] == topic], topics


def registrations_matching(registrations: list[Row], query: str) -> list[Row]:
    """The registrations whose name, email or organisation holds ``query`` (folded to lower case
    by the caller); all of them for an empty query."""
    if not query:
        return registrations
    return [r for r in registrations if query in " ".join(
        [r["first_name"], r["last_name"], r["email"], r["organisation_name"] or ""]).casefold()]


def live_emails(registrations: Iterable[Row]) -> set[str]:
    """The addresses of the registrations still in play (confirmed or waiting)."""
    return {r["email"] for r in registrations if r["status"] in LIVE}


def events_on(events: Iterable[Row], day: date) -> list[Row]:
    """The events taking place on ``day`` (a date in Prague): the door's list."""
    return [e for e in events
            if datetime.fromisoformat(e["starts_at"]).date() <= day <= datetime.fromisoformat(e["ends_at"]).date()]


def days_to(events: Iterable[Row], today: date) -> dict[int, int]:
    """How many days each event's first day is from ``today`` (a date in Prague), by its id."""
    return {e["id"]: (datetime.fromisoformat(e["starts_at"]).date() - today).days for e in events}


# The emails that carry a registration's ticket (one of them is sent again when it is lost).
TICKET_EMAILS = (EmailKind.REGISTRATION_CONFIRMED, EmailKind.REGISTRATION_PROMOTED, EmailKind.SUBSTITUTE_CONFIRMED,
                 EmailKind.REGISTRATION_RESTORED)


def ticket_emails(messages: Iterable[Row]) -> list[Row]:
    """The ``messages`` that carried a ticket, in the order given."""
    return [m for m in messages if m["kind"] in TICKET_EMAILS]


def event_update_sample(preview: Row) -> dict[str, Any]:
    """What the preview of the email about an edit is made for: the event as it will be, its
    changes, and a sample person registered."""
    return {"event": preview["event"], "changes": preview["changes"], "registration": {
        "id": 0, "first_name": "Jana", "last_name": "Nováková", "email": "ukazka@example.invalid",
        "manage_url": "…", "ticket_code": None}}


# The event form's fields in Czech, for the message after an edit (in the form's order).
EVENT_FIELDS = {
    "title": "název", "kind": "druh", "topic": "téma", "lecturer": "lektor", "venue": "místo", "format": "forma",
    "webinar_url": "odkaz na webinář", "starts_at": "začátek", "ends_at": "konec", "sessions": "termíny",
    "capacity": "počet míst", "price_member": "cena pro členy", "price_non_member": "cena pro ostatní",
    "max_per_organisation": "nejvýše osob z organizace", "accreditation_number": "číslo akreditace",
    "hours": "počet hodin", "certificate_share": "podíl termínů pro osvědčení",
    "release_unpaid_after_days": "uvolnění nezaplacených míst",
    "waitlist_enabled": "čekací listina", "collects_birth_date": "datum narození", "description": "popis",
    "questions": "otázky",
}


def promoted_by(before: Row, after: Row, in_line: Sequence[Row]) -> list[Row]:
    """Who of those first in line (``in_line``, as the edit's preview named them) a saved edit
    gave a seat: as many as the seats taken grew by."""
    taken = (after["capacity"] - after["seats_left"]) - (before["capacity"] - before["seats_left"])
    return list(in_line[:max(0, taken)])


def saved_message(before: Row, after: Row, told: int, promoted: Sequence[Row] = ()) -> str:
    """What an edit saved, by the form's Czech names of the fields it changed; who is told and
    who got a seat from the waitlist."""
    changed = [label for field, label in EVENT_FIELDS.items() if _comparable(before.get(field)) !=
               _comparable(after.get(field))]
    said = (f"Změny akce „{after['title']}“ jsou uložené: {', '.join(changed)}." if changed
            else f"Akce „{after['title']}“ je uložená beze změn.")
    if told:
        said += f" Přihlášení ({told}) dostanou e-mail o změně."
    if promoted:
        said += (f" Místo z čekací listiny {'dostal' if len(promoted) == 1 else 'dostali'}: "
                 f"{', '.join(person['name'] for person in promoted)}; e-mail se vstupenkou odchází.")
    return said


def _comparable(value: object) -> object:
    """Times compared as moments (an ISO text with one offset or another), the rest as they are."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return value
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    return value


# What people read instead of the system's own names: emails, their states, roles, audit details.

EMAIL_KINDS: dict[str, str] = {
    EmailKind.REGISTRATION_CONFIRMED: "potvrzení přihlášky",
    EmailKind.REGISTRATION_WAITLISTED: "zařazení na čekací listinu",
    EmailKind.REGISTRATION_PROMOTED: "místo z čekací listiny", EmailKind.REGISTRATION_CANCELLED: "zrušení přihlášky",
    EmailKind.SUBSTITUTE_CONFIRMED: "potvrzení náhradníka",
    EmailKind.REGISTRATION_SUBSTITUTED: "předání místa náhradníkovi",
    EmailKind.EVENT_UPDATED: "změna akce", EmailKind.EVENT_CANCELLED: "zrušení akce",
    EmailKind.REMINDER_DUE: "připomínka akce", EmailKind.ATTENDANCE_CONFIRMED: "osvědčení o absolvování",
    EmailKind.ANNOUNCEMENT: "oznámení", EmailKind.PAYMENT_RECEIVED: "přijatá platba",
    EmailKind.PAYMENT_OVERDUE: "upomínka platby",
    EmailKind.PAYMENT_RELEASE_WARNING: "výzva k zaplacení před uvolněním místa",
    EmailKind.REFUND_DUE: "vrácení platby", EmailKind.INVOICE_ISSUED: "faktura nebo dobropis",
    EmailKind.COLLEAGUES_REGISTERED: "přihlášení kolegové", EmailKind.ATTENDEE_MESSAGE: "zpráva účastníkům akce",
    EmailKind.MATERIALS_AVAILABLE: "podklady z akce", EmailKind.FEEDBACK_REQUEST: "žádost o zpětnou vazbu",
    EmailKind.PORTAL_LINK: "odkaz pro přihlášení na stránku obce",
    EmailKind.REGISTRATION_RESTORED: "obnovení přihlášky",
}
EMAIL_STATES: dict[str, str] = {
    EmailStatus.QUEUED: "ve frontě", EmailStatus.SENDING: "odesílá se", EmailStatus.SENT: "odeslán",
    EmailStatus.AWAITING_RETRY: "čeká na další pokus", EmailStatus.FAILED: "nedoručitelný",
    EmailStatus.SUPERSEDED: "neodeslán, předstižen novějším"}
# The e-mail list's filter: the states as a choice says them.
EMAIL_STATE_CHOICES = ((EmailStatus.SENT, "odeslané"), (EmailStatus.AWAITING_RETRY, "čekají na další pokus"),
                       (EmailStatus.FAILED, "nedoručitelné"), (EmailStatus.QUEUED, "ve frontě"),
                       (EmailStatus.SUPERSEDED, "neodeslané, předstižené"))
ROLE_NAMES: dict[str, str] = {StaffRole.ADMIN: "správce", StaffRole.STAFF: "kancelář", StaffRole.DOOR: "vstup"}
AUDIENCE_NAMES = {"all": "všem přihlášeným", "confirmed": "jen potvrzeným", "waitlisted": "jen čekací listině",
                  "members": "všem členům"}
DETAIL_KEYS = {
    "email_kind": "e-mail", "text_version": "verze textu", "document": "dokument",
    "event_id": "akce", "registration_id": "přihláška", "registration_ids": "přihlášky", "title": "název",
    "reason": "důvod", "address": "adresa", "email": "e-mail", "role": "role", "created": "nové",
    "updated": "změněné", "failed": "chybné", "message_id": "e-mail č.", "message_ids": "události",
    "to": "komu", "changes": "změny", "told": "dostanou e-mail", "subject": "předmět", "audience": "komu",
    "recipients": "adresátů", "format": "formát", "statement_id": "výpis", "lines": "řádků",
    "duplicates": "již nahraných", "matched": "spárováno", "to_check": "ke kontrole", "ignored": "ostatních",
    "transaction_id": "platba č.", "variable_symbol": "VS", "amount": "částka", "refund_id": "vratka č.",
    "number": "číslo", "credit_note": "dobropis", "ico": "IČO", "name": "název", "filename": "soubor",
    "size": "velikost (B)", "material_id": "podklad č.", "substitute_id": "náhradník (přihláška)",
    "ok": "v pořádku", "paid": "zaplatili", "note": "poznámka", "starts_at": "začátek", "ends_at": "konec",
    "venue": "místo", "sessions": "termíny", "capacity": "kapacita", "first_name": "jméno",
    "last_name": "příjmení", "payer": "plátce", "registrations": "přihlášky", "allowed": "smí se přihlásit",
    "outside_event_days": "mimo dny akce", "status": "stav", "contact_id": "kontakt č.",
    # Staff accounts (issue 25): what an account change did.
    "previous_role": "dosavadní role", "sessions_ended": "ukončená přihlášení",
    # What an edit changed, a file read, people chosen, rows exported.
    "changed": "změněno", "file": "soubor", "chosen": "vybrané přihlášky", "issued": "vydáno",
    "waiting_payment": "čeká na platbu", "year": "rok", "contacts": "kontaktů", "rows": "řádků",
    "databox_deliveries": "dokladů v datové schránce",
    "fields": "údaje", "code": "kód",
    # The accountant's export: which month, in which file.
    "month": "měsíc",
    # The door without a signal: which phone sent its queue, and how many check-ins.
    "device": "telefon", "sent": "odbavení z telefonu",
    # The staff API and webhooks (issue 29).
    "api_token_id": "token API č.", "scopes": "oprávnění", "webhook_id": "webhook č.", "url": "adresa",
    "events": "události", "delivery_id": "zpráva č.", "event_type": "událost",
}
REGISTRATION_STATUSES: dict[str, str] = {
    RegistrationStatus.CONFIRMED: "potvrzeno", RegistrationStatus.WAITLISTED: "čekací listina",
    RegistrationStatus.CANCELLED: "zrušeno", RegistrationStatus.SUBSTITUTED: "předáno náhradníkovi"}
# Staff accounts and logging in (issue 25): why a login failed.
LOGIN_FAILURE_REASONS = {"wrong_password": "špatné heslo", "unknown_account": "neznámý účet",
                         "account_disabled": "vypnutý účet", "throttled": "příliš mnoho pokusů, nezkoušeno",
                         "wrong_code": "špatný ověřovací kód", "code_locked": "ověřovací kód zablokovaný"}
DETAIL_VALUES = {"audience": AUDIENCE_NAMES, "role": ROLE_NAMES, "status": REGISTRATION_STATUSES,
                 "previous_role": ROLE_NAMES, "reason": LOGIN_FAILURE_REASONS, "email_kind": EMAIL_KINDS,
                 "document": {"certificate": "osvědčení"}}
REFUSAL = "refusal"  # the details' key of a refusal's Czech message, shown as the audit's outcome
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?")


def email_kind(kind: str) -> str:
    return EMAIL_KINDS.get(kind, kind)


def email_state(state: str) -> str:
    return EMAIL_STATES.get(state, state)


def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


def detail_value(value: object, key: str | None = None) -> str:
    """A value of the audit log's details as Czech readers read it: lists joined by commas,
    yes/no, dates as ``5. 1. 2027``, an audience or a role by its Czech name."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ano" if value else "ne"
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and key in ("starts_at", "ends_at", "venue", "capacity", "sessions"):
            return f"{detail_value(value[0], key)} → {detail_value(value[1], key)}"  # a change: before → after
        return ", ".join(detail_value(item, key) for item in value) or "–"
    if isinstance(value, dict):
        return details_text(value, separator="; ")
    if isinstance(value, str):
        if key in DETAIL_VALUES:
            return DETAIL_VALUES[key].get(value, value)
        if ISO_MOMENT.fullmatch(value):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return czech_day(moment) if len(value) == 10 else czech_moment(moment)
    return str(value)


def details_text(details: Mapping[str, Any] | None, separator: str = ", ") -> str:
    """The audit log's details, ``komu: jen potvrzeným, přihlášky: 2, 3``: Czech keys and values
    (a refusal's message is not repeated here: the outcome says it)."""
    return separator.join(f"{DETAIL_KEYS.get(key, key.replace('_', ' '))}: {detail_value(value, key)}"
                          for key, value in (details or {}).items() if key != REFUSAL)


def czech_day(moment: date) -> str:
    return f"{moment.day}. {moment.month}. {moment.year}"


def czech_moment(moment: datetime) -> str:
    m = local(moment)
    return f"{m.day}. {m.month}. {m.year} {m.hour}:{m.minute:02d}"


# Money: what a payment action will do and did, with names and amounts.

NAMES_SAID = 8  # a statement paying more people names the first ones and counts the rest


def crowns(halere: int | str) -> str:
    """``900 Kč``, ``1 234,50 Kč``: whole crowns without the haléře."""
    whole, cents = divmod(abs(int(halere)), 100)
    text = f"{whole:,}".replace(",", "\u00a0") + (f",{cents:02d}" if cents else "")
    return ("−" if int(halere) < 0 else "") + text + "\u00a0Kč"


def count_of(count: int, one: str, few: str, many: str) -> str:
    return f"{count} {one if count == 1 else few if 2 <= count <= 4 else many}"


def paid_people(paid: Sequence[Row]) -> str:
    """Who a statement pays: ``Jana Nováková (900 Kč, VS 1000000012); Obec Lhota za 3 osoby …``."""
    said: list[str] = []
    for line in paid[:NAMES_SAID]:
        names = ", ".join(line["names"])
        text = f"{names} ({crowns(line['amount_halere'])}, VS {line['variable_symbol']})"
        if line.get("reason"):
            text += f" – {line['reason'].lower()}, čeká na kontrolu"
        elif line.get("note"):
            text += f" – {line['note']}"
        said.append(text)
    if len(paid) > NAMES_SAID:
        said.append(f"a {count_of(len(paid) - NAMES_SAID, 'další platba', 'další platby', 'dalších plateb')}")
    return "; ".join(said)


def statement_consequences(report: Row) -> list[str]:
    """What importing a read statement will do: whom it pays, what waits for a check."""
    said = [f"Zaplatí: {paid_people(report['paid'])}.",
            "Každý, kdo tím má zaplaceno celé, dostane e-mail, že platba došla."]
    if report["to_check"]:
        said.append(f"Ke kontrole zůstane {count_of(report['to_check'], 'platba', 'platby', 'plateb')} "
                    "(neznámý symbol, nedoplatek, přeplatek): najdete je níže v Platbách ke kontrole.")
    if report["duplicates"]:
        said.append(f"Už dříve nahraných řádků: {report['duplicates']}; ty se znovu nezapočítají.")
    return said


def statement_done(report: Row) -> str:
    """What an imported statement did, said once after it."""
    lines = count_of(report["lines"], "řádek", "řádky", "řádků")
    if report.get("format") == StatementFormat.FIO:
        said = [f"Z banky přišlo: {lines}."]
    else:
        name = f"Výpis {report['statement_id']}" if report.get("statement_id") else "Výpis"
        said = [f"{name} je nahraný ({lines})."]
    said.append(f"Zaplatili: {paid_people(report['paid'])}." if report.get("paid") else "Nikoho nezaplatil.")
    if report["to_check"]:
        said.append(f"Na kontrolu čeká {count_of(report['to_check'], 'platba', 'platby', 'plateb')}.")
    if report["duplicates"]:
        said.append(f"Už dříve nahraných řádků: {report['duplicates']}.")
    return " ".join(said)


def owed_text(request: Row) -> str:
    """One payment request as a sentence part: ``Jana Nováková, Seminář X, VS 1000000012``."""
    return f"{request['payer_name']}, {request['event_title']}, VS {request['variable_symbol']}"


def statement_question(report: Row, from_bank: bool) -> str:
    """The question before a read statement that pays somebody is imported."""
    paying = count_of(len(report["paid"]), "platbu", "platby", "plateb")
    return f"Započítat {paying} z banky?" if from_bank else f"Nahrát výpis a započítat {paying}?"


def line_text(line: Row) -> str:
    """A bank line: ``900 Kč ze dne 5. 1. 2027 od Obec Lhota, VS 1000000012``."""
    return (f"{crowns(line['amount_halere'])} ze dne {czech.day(line['booked_on'])}"
            f"{' od ' + line['counter_name'] if line['counter_name'] else ''}"
            f"{', VS ' + line['variable_symbol'] if line['variable_symbol'] else ''}")


def owed_by_symbol(unpaid: Iterable[Row], symbol: str) -> list[Row]:
    """The open payment requests a variable symbol is a registration's own for."""
    return [p for p in unpaid if p["variable_symbol"] == symbol]


def owed_by_invoice(unpaid: Iterable[Row], invoices: Iterable[Row], symbol: str) -> list[Row]:
    """The open payment requests on the invoice (not cancelled) whose variable symbol is ``symbol``."""
    numbers = {i["number"] for i in invoices
               if i["kind"] == InvoiceKind.INVOICE and not i["cancelled"] and i["variable_symbol"] == symbol}
    return [p for p in unpaid if numbers & set(p["invoices"])]


def _payers(owed: Iterable[Row]) -> str:
    return ", ".join(p["payer_name"] for p in owed)


def match_question(line: Row, owed: Iterable[Row]) -> str:
    return f"Přiřadit platbu {crowns(line['amount_halere'])}: {_payers(owed)}?"


def match_consequences(line: Row, symbol: str, owed: Sequence[Row]) -> list[str]:
    """What pairing a bank line with what ``symbol`` owes does: who is paid, and whether it fits."""
    due = sum(p["owed_halere"] for p in owed)
    said = [f"Platba {crowns(line['amount_halere'])} ze dne {czech.day(line['booked_on'])} "
            f"od {line['counter_name'] or 'neznámého plátce'} se započítá na VS {symbol}: "
            + "; ".join(owed_text(p) for p in owed) + f". Dluží {crowns(due)}.",
            "Kdo tím má zaplaceno celé, dostane e-mail, že platba došla."]
    if line["amount_halere"] != due:
        said.append("Částka nesedí: platba zůstane ke kontrole jako "
                    + ("nedoplatek." if line["amount_halere"] < due else "přeplatek."))
    return said


def match_done(line: Row, symbol: str, owed: Iterable[Row]) -> str:
    return f"Platba {crowns(line['amount_halere'])} je přiřazená k VS {symbol}: {_payers(owed)}."


def resolve_consequences(line: Row, note: str) -> list[str]:
    return [f"Důvod na seznamu: {line['reason']}. Jak vyřízeno: „{note}“.",
            "Platba zmizí ze seznamu ke kontrole; nic se nezapočítá a nikomu nic neodejde. "
            "Peníze (přeplatek, vratku) pošlete sami."]


def not_payable(owed: Row) -> str:
    """Why a payment request that is not open takes no cash."""
    return f"{owed['payer_name']}: " + ("už je zaplaceno." if owed["status"] == PaymentStatus.PAID else
                                        "přihláška je zrušená, platbu nelze přijmout.")


def cash_consequences(owed: Row) -> list[str]:
    return [f"Přihláška na akci {owed['event_title']} (VS {owed['variable_symbol']}) bude zaplacená.",
            f"{owed['payer_name']} ({owed['email']}) dostane e-mail, že platba došla.",
            *([f"Je na faktuře {', '.join(owed['invoices'])}: ta zůstane vystavená; "
               "zaplacení v hotovosti nic nestornuje."] if owed["invoices"] else [])]


def refund_consequences(refund: Row, note: str) -> list[str]:
    return [f"Vratka za zrušenou přihlášku na akci {refund['event_title']} (VS {refund['variable_symbol']}) "
            f"zmizí ze seznamu s poznámkou „{note}“.",
            "Systém sám peníze neposílá: potvrďte, až je pošlete z účtu sdružení. Nikomu nic neodejde."]


def owed_by_registrations(unpaid: Iterable[Row], ids: Container[int]) -> list[Row]:
    """The open payment requests of the registrations ``ids``."""
    return [p for p in unpaid if p["registration_id"] in ids]


def invoice_consequences(owed: Sequence[Row]) -> list[str]:
    """What issuing an invoice for the payment requests ``owed`` sets off."""
    return [f"Za {count_of(len(owed), 'přihlášku', 'přihlášky', 'přihlášek')}: "
            + "; ".join(owed_text(p) for p in owed) + ".",
            "Faktura dostane další číslo v řadě a odejde e-mailem odběrateli i účastníkům; "
            "smazat ji nelze, jen stornovat dobropisem.",
            *(["Více přihlášek dostane společný variabilní symbol faktury."] if len(owed) > 1 else [])]


def invoice_numbered(invoices: Iterable[Row], number: str) -> Row:
    """The invoice (not a credit note) ``number``; NotFound when there is none."""
    for invoice in invoices:
        if invoice["number"] == number and invoice["kind"] == InvoiceKind.INVOICE:
            return invoice
    raise NotFound("invoice_not_found", "Faktura nebyla nalezena.")


def storno_consequences(invoice: Row, reason: str) -> list[str]:
    return [f"Vystaví se dobropis na {crowns(-invoice['total_halere'])} s důvodem „{reason}“ "
            f"a odejde e-mailem na: {', '.join(invoice['recipients']) or 'nikoho'}.",
            "Přihlášky z faktury budou znovu platit každá svým vlastním variabilním symbolem; "
            "co už bylo zaplaceno, zůstává zaplacené.", "Storno nelze vzít zpět."]


# Messages to people: the email greets each by name itself.

GREETING = re.compile(r"(dobr[ýé] (den|ráno|odpoledne|večer)|vážen[áíéý]|mil[áíéý]|zdravím|ahoj|hezký den)\b",
                      re.IGNORECASE)


def without_greeting(text: str) -> tuple[str, str | None]:
    """``text`` without a greeting line staff typed at its top (``Dobrý den,``, ``Vážení
    účastníci,``): the email begins with ``Dobrý den, <name>,`` of its own, and two greetings
    would read oddly. Returns the text and the line taken out (None when there was none). Only a
    short first line that greets is taken; a first sentence that goes on is left as it is."""
    lines = text.strip("\n").split("\n")
    first = lines[0].strip() if lines else ""
    if not GREETING.match(first) or len(first) > 60 or (len(lines) > 1 and not first.endswith((",", "!", "."))
                                                       and lines[1].strip()):
        return text, None
    rest = "\n".join(lines[1:]).strip("\n")
    return (rest, first) if rest.strip() else (text, None)


def greeting_left_out(greeting: str | None) -> list[str]:
    """The sentence saying that the greeting typed at the top was left out (none when none was)."""
    return [f"Vaše úvodní oslovení „{greeting}“ jsme vynechali: e-mail začíná oslovením jménem sám."] \
        if greeting else []


def announced_to(audience: str) -> str:
    """Whom an announcement goes to: ``všem členům`` or ``členům z okresu Rokycany``."""
    return "všem členům" if audience == "members" else f"členům z okresu {audience}"


def nobody_to_announce_to(audience: str) -> str:
    return (f"Oznámení by nešlo nikomu: {announced_to(audience)} nemá nikdo kontakt, "
            "který oznámení chce.")


def announcement_preview(post: MessagePost, recipients: Sequence[Row]) -> tuple[dict[str, Any], list[str]]:
    """The preview of an announcement (``forms.MessagePost``): what its email is made for (the
    first of ``recipients``), and what the page says (who gets it, whose email is shown, the
    greeting left out)."""
    shown = recipients[0]
    sample = {"subject": post.values["subject"], "text": post.values["text"], "unsubscribe_url": "…",
              "contact": shown}
    return sample, [f"Dostanou ho kontakty členů, které oznámení chtějí ({announced_to(post.audience)}): "
                    f"{count_of(len(recipients), 'adresát', 'adresáti', 'adresátů')}.",
                    f"Náhled níže je e-mail, jak ho dostane {shown['first_name']} {shown['last_name']} "
                    f"({shown['organisation_name']}); každý dostane oslovení svým jménem.",
                    *greeting_left_out(post.greeting)]


def announcement_done(subject: str, queued: int, audience: str) -> str:
    return (f"Oznámení „{subject}“ odchází {dative_recipients(queued)} ({announced_to(audience)}), postupně, "
            "aby nezdrželo potvrzení přihlášek.")


def by_id(items: Iterable[Row], item_id: object) -> Row | None:
    """The item of a list the other services gave whose ``id`` is ``item_id``; None when there is none."""
    return next((item for item in items if item["id"] == item_id), None)


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows make, at least one."""
    return max((total + per_page - 1) // per_page, 1)


# A message to an event's people: whom each audience is, as the form offers it and as the
# registrations service reads it (``messaging.AUDIENCES``).
AUDIENCES = (("all", "všem přihlášeným (potvrzení i čekací listina)"), ("confirmed", "jen potvrzeným"),
             ("waitlisted", "jen čekací listině"))
AUDIENCE_STATUSES = {"all": ("confirmed", "waitlisted"), "confirmed": ("confirmed",), "waitlisted": ("waitlisted",)}


def audience_of(registrations: Iterable[Row], audience: str) -> list[Row]:
    """The registrations a message to ``audience`` goes to."""
    return [r for r in registrations if r["status"] in AUDIENCE_STATUSES[audience]]


def nobody_in_audience(audience: str) -> str:
    return f"Na akci nikdo takový není ({dict(AUDIENCES)[audience]}): zpráva by nešla nikomu."


def attendee_message_preview(post: MessagePost, event: Row,
                             people: Sequence[Row]) -> tuple[dict[str, Any], list[str]]:
    """The preview of a message to an event's ``people`` (``forms.MessagePost``): what its email is
    made for (the first confirmed by name, else the first waiting), and what the page says (who
    gets it, the first ten by name; whose email is shown; the greeting left out)."""
    shown = min(people, key=lambda r: (r["status"] != RegistrationStatus.CONFIRMED, r["last_name"], r["first_name"]))
    sample = {"subject": post.values["subject"], "text": post.values["text"], "event": event, "batch_id": "",
              "registration": {"id": shown["id"], "first_name": shown["first_name"], "last_name": shown["last_name"],
                               "email": shown["email"], "link": None}}
    names = ", ".join(full_name(r) for r in people[:10]) + (f" a další ({len(people) - 10})"
                                                           if len(people) > 10 else "")
    return sample, [f"Dostanou ji ({dict(AUDIENCES)[post.audience]}): {names}.",
                    f"Náhled níže je e-mail, jak ho dostane {full_name(shown)}; každý dostane oslovení svým jménem.",
                    *greeting_left_out(post.greeting)]


# After the event: materials, and the materials link or the questionnaire sent to who attended.

FOLLOW_UPS = {"materials": "odkaz na podklady", "feedback": "dotazník zpětné vazby"}


def attendees(count: int) -> str:
    """``1 účastník``, ``3 účastníci``, ``5 účastníků``."""
    return plural(count, "účastník", "účastníci", "účastníků")


def nobody_to_follow_up(purpose: str) -> str:
    return (f"Nikdo nový by {FOLLOW_UPS[purpose]} nedostal: jde jen těm, kdo mají "
            "potvrzenou účast nebo byli odbaveni, a každému jednou.")


def follow_up_names(due: Sequence[Row]) -> str:
    """Who gets the materials link or the questionnaire: the first twenty by name."""
    return ", ".join(person["name"] for person in due[:20]) + (" a další" if len(due) > 20 else "")


def follow_up_done(purpose: str, sent: int) -> str:
    """What sending the materials link or the questionnaire did."""
    materials = purpose == MessagePurpose.MATERIALS
    if sent:
        return f"{'Odkaz na podklady' if materials else 'Dotazník'} odchází: {attendees(sent)}."
    return (f"{'Odkaz' if materials else 'Dotazník'} nedostal nikdo nový: jde jen těm, kdo mají "
            "potvrzenou účast nebo byli odbaveni, a každému jednou.")


def dative_people(count: int) -> str:
    """``1 účastníkovi``, ``14 účastníkům``."""
    return f"{count} {'účastníkovi' if count == 1 else 'účastníkům'}"


def dative_recipients(count: int) -> str:
    """``1 adresátovi``, ``3 adresátům``."""
    return f"{count} {'adresátovi' if count == 1 else 'adresátům'}"


AUDIT_PER_PAGE = 50
AUDIT_OUTCOME_FILTERS = {"provedeno": AuditOutcome.DONE, "odmitnuto": AuditOutcome.REFUSED,
                         "nezdarilo": AuditOutcome.FAILED, "nedokonceno": AuditOutcome.STARTED}


def audit_filters(args: Mapping[str, str | None],
                  actions: Container[str]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The audit page's filters from its query (``kdo``, ``co``, ``od``, ``do``, ``vysledek``):
    ``(filters for store.list_audit, values for the form, problems in Czech)``. Days are
    Prague's; ``do`` includes its whole day. An unknown action or a day that is none is left
    out and said."""
    values = {name: (args.get(name) or "").strip()[:254] for name in ("kdo", "co", "od", "do", "vysledek")}
    filters: dict[str, Any] = {}
    problems: list[str] = []
    if values["kdo"]:
        filters["who"] = values["kdo"]
    if values["co"]:
        if values["co"] in actions:
            filters["action"] = values["co"]
        else:
            problems.append("Takovou činnost audit nezná; zobrazuje se vše.")
            values["co"] = ""
    if values["vysledek"] in AUDIT_OUTCOME_FILTERS:
        filters["outcome"] = AUDIT_OUTCOME_FILTERS[values["vysledek"]]
    else:
        values["vysledek"] = ""
    for name, key, shift in (("od", "since", 0), ("do", "until", 1)):
        if not values[name]:
            continue
        try:
            day = datetime.strptime(form_day(values[name]) or "", "%Y-%m-%d").date()  # never blank here
        except (TypeError, ValueError):
            problems.append(f"Datum „{values[name]}“ neznáme: zadejte ho jako 27. 11. 2026.")
            values[name] = ""
            continue
        values[name] = day.isoformat()
        filters[key] = datetime.combine(day + timedelta(days=shift), datetime.min.time(), tzinfo=czech.PRAGUE)
    return filters, values, problems


def audit_page_number(text: str | None) -> int:
    """The page asked for (``?strana=``); anything else is the first."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 10**6 else 1


def audit_pages(total: int, number: int) -> tuple[int, int]:
    """``(pages, number)``: how many pages ``total`` rows make (at least one), and the page
    asked for, kept within them."""
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    return pages, min(number, pages)


def audit_links(values: Mapping[str, str], number: int, pages: int) -> dict[str, str | None]:
    """The audit page's links that keep its filter (the ``values`` given): the previous and
    the next page (None where there is none) and the CSV of the whole filter."""
    kept = {name: value for name, value in values.items() if value}

    def link(page_number: int) -> str:
        return "/audit?" + urlencode(dict(kept, **({"strana": page_number} if page_number > 1 else {})))
    return {"previous": link(number - 1) if number > 1 else None, "next": link(number + 1) if number < pages else None,
            "csv": "/audit?" + urlencode(dict(kept, format="csv"))}


def portal_access_done(name: str, organisation: str, allowed: bool) -> str:
    """What the console says after allowing or withdrawing a contact's login to the municipality's page."""
    if allowed:
        return f"{name} se může přihlašovat na stránku obce ({organisation}) odkazem zaslaným e-mailem."
    return (f"{name} se už nemůže přihlásit na stránku obce ({organisation}); odkazy, které si vyžádá, "
            "nepošleme. Přihlášení, které už běží, skončí nejpozději do 8 hodin.")


def preview_payload(registration: dict[str, Any]) -> dict[str, Any]:
    """The data an email about ``registration`` gets (as registrations' events carry it): the
    registration and, beside it, its event."""
    return {"registration": {key: value for key, value in registration.items() if key != "event"},
            "event": registration["event"]}


# The certificate's text is documents'; the emails' are notifications' (``texts.py``).
CERTIFICATE_TEXT = "certificate"


def text_name(key: str) -> str:
    """What the console calls an editable text: the email's kind, or "osvědčení"."""
    return "osvědčení" if key == CERTIFICATE_TEXT else email_kind(key)


def text_saved(kind: str, version: int) -> str:
    if kind == CERTIFICATE_TEXT:
        return (f"Text osvědčení je uložen jako verze {version}. Dostanou ho osvědčení vydaná od teď; už vydaná "
                "osvědčení (i jejich duplikáty) zůstávají, jak byla.")
    return (f"Text e-mailu „{email_kind(kind)}“ je uložen jako verze {version}. Dostanou ho e-maily vzniklé "
            "od teď; odeslané a čekající e-maily zůstávají, jak byly.")


def text_reverted(kind: str, version: int | None) -> str:
    if kind == CERTIFICATE_TEXT:
        if version is None:
            return "Osvědčení už má výchozí text; nic se nezměnilo."
        return f"Osvědčení má znovu výchozí text (zapsáno jako verze {version})."
    if version is None:
        return f"E-mail „{email_kind(kind)}“ už má výchozí text; nic se nezměnilo."
    return f"E-mail „{email_kind(kind)}“ má znovu výchozí text (zapsáno jako verze {version})."


# --- Delivery of documents to data boxes (ISDS) ---

DELIVERY_CHANNEL_LABELS = {DeliveryChannel.EMAIL: "e-mailem", DeliveryChannel.DATABOX: "do datové schránky"}
DATABOX_STATUS_LABELS = {
    DataboxStatus.QUEUED: "čeká na odeslání", DataboxStatus.AWAITING_RETRY: "čeká na další pokus (ISDS neodpověděl)",
    DataboxStatus.SENT: "odesláno, čeká na dodání", DataboxStatus.DELIVERED: "dodáno, čeká na doručenku",
    DataboxStatus.ACCEPTED: "doručeno (doručenka)", DataboxStatus.EMAIL_INSTEAD: "posláno e-mailem",
    DataboxStatus.FAILED: "neodesláno (všechny pokusy vyčerpány)"}
DATABOX_DOCUMENT_LABELS = {"invoice": "Faktura", "credit_note": "Opravný daňový doklad", "certificate": "Osvědčení"}


def databox_rows(deliveries: Iterable[Row]) -> list[dict[str, Any]]:
    """notifications' ``databox_deliveries`` as the organisation's page shows them: the document,
    the message's id, the times (ISO, as given), the state in Czech and, for one that went by email
    after all, why (notifications words it in Czech for staff)."""
    rows = []
    for delivery in deliveries:
        document = DATABOX_DOCUMENT_LABELS.get(delivery.get("document") or "", "Doklad")
        if delivery.get("document") == "certificate":
            document = f"{document} k přihlášce {delivery['document_number']}"
        else:
            document = f"{document} {delivery['document_number']}"
        rows.append({"document": document, "dm_id": delivery["dm_id"], "sent_at": delivery["sent_at"],
                     "delivered_at": delivery["delivered_at"], "accepted_at": delivery["accepted_at"],
                     "state": DATABOX_STATUS_LABELS.get(delivery["status"], "neznámý stav"),
                     "reason": delivery["last_error"] if delivery["status"] == DataboxStatus.EMAIL_INSTEAD else None})
    return rows


def organisation_saved(name: str, changed: Sequence[str], channel: str) -> str:
    """What the console says after saving an organisation's form; a changed delivery of documents
    says where they go from now on (it can be changed back, so it was not asked first)."""
    said = f"Organizace {name} je uložena: {changed_text(changed)}."
    if "doručování dokladů" in changed:
        if channel == DeliveryChannel.DATABOX:
            said += (" Faktury a dobropisy teď odcházejí do datové schránky organizace místo e-mailu, osvědčení "
                     "navíc i do schránky; nemá-li organizace schránku, odejdou e-mailem.")
        else:
            said += " Faktury, dobropisy a osvědčení teď odcházejí zase e-mailem."
    return said
