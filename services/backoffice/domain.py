"""The console's rules: who may do what, what makes a password, when a session or an account rests.

Plain functions and constants: no nameko, no database.
"""
import re
import unicodedata
from datetime import timedelta

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


def question_key(label: str) -> str:
    """A question's key made from its text: lower case without diacritics, words joined by ``_``,
    at most 40 characters (``Dotaz na lektora`` -> ``dotaz_na_lektora``)."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return "_".join(re.findall(r"[a-z0-9]+", plain))[:40].strip("_")
