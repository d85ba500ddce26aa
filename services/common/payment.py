"""Which registrations are paid for: the one rule that payments, registrations and notifications share.

A confirmed registration with a price above zero is paid for. Payments makes
its payment request and says so (``payment_requested``); notifications sends
such a person's confirmation with the payment details only then, so the email
always carries the variable symbol and the QR Platba code.
"""
from collections.abc import Mapping
from typing import Any

from services.common.czech import day, price
from services.common.vocabulary import NOT_LIVE, RegistrationStatus

# A registration as registrations describes it (contracts.RegistrationShape): JSON.
Registration = Mapping[str, Any]


def requires_payment(registration: Registration) -> bool:
    return registration.get("status") == RegistrationStatus.CONFIRMED and int(registration.get("price") or 0) > 0


def awaits_payment_details(registration: Registration) -> bool:
    """A registration that is paid for and not paid, whose payment details (account, variable
    symbol, QR Platba) have not come yet: payments makes the request on hearing of the
    registration, a moment after it was saved, and tells registrations (``payment_requested``)."""
    return (requires_payment(registration) and not registration.get("paid_at")
            and not (registration.get("payment") or {}).get("variable_symbol"))


def payment_state(registration: Registration) -> str:
    """What a registration pays and whether it has, as staff read it on a row of the event
    page: ``zaplaceno 900 Kč``, ``nezaplaceno 900 Kč, splatné 20. 12. 2026``, ``zdarma``.
    Registrations keeps a copy of the payment state (``payment``, ``paid_at``), told by payments."""
    fee = int(registration.get("price") or 0)
    if not fee:
        return "zdarma"
    if registration.get("paid_at"):
        return f"zaplaceno {price(fee)} ({day(registration['paid_at'])})"
    status = registration.get("status")
    if status == RegistrationStatus.WAITLISTED:
        return f"{price(fee)}, platí se po získání místa"
    if status in NOT_LIVE:
        return f"nezaplaceno {price(fee)}, neplatí se"
    due = (registration.get("payment") or {}).get("due_on")
    return f"nezaplaceno {price(fee)}" + (f", splatné {day(due)}" if due else "")


def paid_column(registration: Registration) -> str:
    """The CSV's "Zaplaceno": ``ano (3. 12. 2026)``, ``ne``, or ``zdarma``."""
    if not int(registration.get("price") or 0):
        return "zdarma"
    paid = registration.get("paid_at")
    if paid:
        return f"ano ({day(paid)})"
    return "ne"
