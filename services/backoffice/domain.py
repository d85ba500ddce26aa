"""The console's rules: who may do what, what makes a password, when a session or an account rests.

Plain functions and constants: no nameko, no database.
"""
import re
import unicodedata
from datetime import datetime, timedelta

from services.common.czech import local, plural
from services.common.errors import ValidationError

# What each role may do. A page names the right it needs; a test walks every page with every role.
RIGHTS = {
    "admin": {"door", "staff", "admin"},
    "staff": {"door", "staff"},
    "door": {"door"},
}
ROLES = tuple(RIGHTS)

MIN_PASSWORD_LENGTH = 12
SESSION_IDLE = timedelta(minutes=30)
SESSION_LONGEST = timedelta(hours=12)
# Login throttling: this many failures in the window lock the account (or the address) for the window.
FAILURES_ALLOWED = 5
FAILURE_WINDOW = timedelta(minutes=15)


def may(role: str, right: str) -> bool:
    return right in RIGHTS.get(role, ())


def check_role(role):
    if role not in RIGHTS:
        raise ValidationError({"role": "Role je admin, staff, nebo door."})


def check_new_password(password: str, email: str):
    """A Czech reason why ``password`` will not do, raised as a field error."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": f"Heslo musí mít alespoň {MIN_PASSWORD_LENGTH} znaků."})
    if email.split("@")[0].casefold() in password.casefold():
        raise ValidationError({"password": "Heslo nesmí obsahovat vaše jméno z e-mailu."})


def session_alive(session, now) -> bool:
    return now - session["last_seen_at"] < SESSION_IDLE and now - session["created_at"] < SESSION_LONGEST


def needs_second_factor(account) -> bool:
    """An administrator must have TOTP; anyone may."""
    return account["role"] == "admin" or account["totp_secret"] is not None


# One session a line in the event form: ``3. 3. 2027 9:00–16:00``, then optionally
# `` | its title`` and `` | its venue`` (when it is not the event's).
SESSION_LINE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\s+(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")


def parse_sessions(text: str) -> list[dict]:
    """The sessions typed in the event form, with times in Prague (naive); the registrations
    service checks their order. A line it cannot read is refused by its number."""
    sessions = []
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


def sessions_text(sessions, venue) -> str:
    """An event's sessions (aware times) as the form shows them, the way ``parse_sessions`` reads them."""
    lines = []
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


# What an action will do and did, as the confirmation and the message after it say it.

def full_name(registration) -> str:
    return f"{registration['first_name']} {registration['last_name']}"


def cancel_consequences(registration, successor) -> list[str]:
    """What cancelling ``registration`` sets off: the person's email, and the seat going to
    ``successor`` (the first on the waitlist), who is told too."""
    said = [f"{full_name(registration)} ({registration['email']}) dostane e-mail, že je přihláška zrušená."]
    if registration["status"] == "waitlisted":
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


def cancel_done(registration, successor) -> str:
    done = f"Přihláška je zrušená: {full_name(registration)}. E-mail odchází."
    if successor is not None:
        done += f" Místo dostal(a) {full_name(successor)} z čekací listiny."
    return done


def restore_consequences(registration, stats) -> list[str]:
    """What taking back a cancellation does: a seat when one is free, else the end of the
    waitlist (``stats``: the event's counts now); and what it cannot do."""
    name = full_name(registration)
    if registration["price"]:
        return [f"Přihláška má poplatek {registration['price']} Kč: její platba a faktura jsou zrušené, proto ji "
                "obnovit nelze. Přihlaste osobu znovu, dostane novou výzvu k platbě."]
    if stats["confirmed"] < stats["capacity"]:
        place = f"Volné místo je: {name} bude znovu potvrzen(a) a dostane e-mail se vstupenkou."
    else:
        place = (f"Akce je plná: {name} bude na čekací listině jako {stats['waitlisted'] + 1}. v pořadí "
                 "a dostane o tom e-mail.")
    return [place, "Vstupenka zůstává stejná jako před zrušením."]


def restore_done(restored) -> str:
    name = full_name(restored)
    if restored["status"] == "confirmed":
        return f"Přihláška je obnovená: {name} má znovu místo. E-mail se vstupenkou odchází."
    return (f"Přihláška je obnovená: {name} je na čekací listině jako {restored['waitlist_position']}. "
            "v pořadí. E-mail odchází.")


def substitute_problems(data) -> dict:
    """What the substitute form lacks, said before the confirmation (the registrations service
    checks everything again when the seat is handed over)."""
    problems = {}
    for field, label in (("first_name", "jméno"), ("last_name", "příjmení"), ("email", "e-mail")):
        if not data.get(field):
            problems[field] = f"Vyplňte prosím {label} náhradníka."
    if data.get("email") and "@" not in data["email"]:
        problems["email"] = "Zadejte e-mail ve tvaru jmeno@obec.cz."
    if not data.get("gdpr_consent"):
        problems["gdpr_consent"] = "Náhradník musí souhlasit se zpracováním osobních údajů."
    return problems
# The member register's pages: the filter's Czech words, the forms' days, the import's question.
MEMBERSHIP_FILTERS = {"clenove": "member", "necleni": "non_member", "byvali": "former"}
CZECH_DAY = re.compile(r"\s*(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\s*")


def form_day(text):
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


def import_question(report) -> str:
    """``Nahrát 12 nových a změnit 3 organizace?``: what a register import would store."""
    created, updated = report["created"], report["updated"]
    if created and updated:
        return (f"Nahrát {plural(created, 'novou', 'nové', 'nových')} a změnit "
                f"{organisations_word(updated)}?")
    if created:
        return f"Nahrát {plural(created, 'novou organizaci', 'nové organizace', 'nových organizací')}?"
    return f"Změnit {organisations_word(updated)}?"


SHOWN_IMPORT_ERRORS = 20


def import_consequences(report) -> list[str]:
    """The sentences under the import's question: what stays, which lines are left out and why."""
    sentences = []
    if report["unchanged"]:
        sentences.append(f"Beze změny: {report['unchanged']}.")
    if report["failed"]:
        sentences.append(f"Chybné řádky se nenahrají ({report['failed']}):")
        sentences += [f"řádek {e['line']}: {e['reason']}" for e in report["errors"][:SHOWN_IMPORT_ERRORS]]
        if len(report["errors"]) > SHOWN_IMPORT_ERRORS:
            sentences.append(f"… a dalších {len(report['errors']) - SHOWN_IMPORT_ERRORS}.")
    sentences.append("Organizace, které v souboru nejsou, ani kontakty se nemění.")
    return sentences


def import_done(report) -> str:
    """What an import stored, said afterwards."""
    said = f"Evidence nahrána: nové {report['created']}, změněné {report['updated']}, " \
           f"beze změny {report['unchanged']}, chybné {report['failed']}."
    if report["errors"]:
        said += " Nenahrané řádky: " + ", ".join(str(e["line"]) for e in report["errors"][:SHOWN_IMPORT_ERRORS])
        said += "." if len(report["errors"]) <= SHOWN_IMPORT_ERRORS else " a další."
    return said


def changed_text(changed) -> str:
    """``název, okres`` (what a saved form changed), or that nothing did."""
    return ", ".join(changed) if changed else "nic se nezměnilo"


CONTACT_LABELS = {"first_name": "jméno", "last_name": "příjmení", "role": "funkce", "email": "e-mail",
                  "phone": "telefon", "wants_announcements": "informační servis"}


# Finding a training record: the search field offers organisations as ``Name (IČO)``.
CHOSEN_ICO = re.compile(r"(?:.*\()?\s*(\d{8})\s*\)?\s*")


def organisation_choice(organisation) -> str:
    """How the search field offers an organisation: ``Obec Chotěšov (00256901)``."""
    return f"{organisation['name']} ({organisation['ico']})"


def chosen_ico(typed: str):
    """The IČO in what was typed into the search field: a whole IČO, or an offered choice
    ``Name (IČO)``; None for a name, to be searched for."""
    found = CHOSEN_ICO.fullmatch(typed or "")
    return found.group(1) if found else None
