"""Which registrations are paid for: the one rule that payments, registrations and notifications share.

A confirmed registration with a price above zero is paid for. Payments makes
its payment request and says so (``payment_requested``); notifications sends
such a person's confirmation with the payment details only then, so the email
always carries the variable symbol and the QR Platba code.
"""


def requires_payment(registration: dict) -> bool:
    return registration.get("status") == "confirmed" and int(registration.get("price") or 0) > 0
