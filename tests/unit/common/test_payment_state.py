"""A registration's payment as staff read it on the event page and in the CSV export."""
from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.payment import paid_column, payment_state


def registration(**values):
    return dict({"price": 900, "status": "confirmed", "payment": None, "paid_at": None}, **values)


def test_paid_unpaid_due_and_free_are_said_in_czech():
    assert payment_state(registration(price=0)) == "zdarma"
    assert payment_state(registration()) == "nezaplaceno 900\xa0Kč"
    assert payment_state(registration(payment={"due_on": "2026-12-20", "amount": 900})) == \
        "nezaplaceno 900\xa0Kč, splatné 20. 12. 2026"
    paid = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Prague"))
    assert payment_state(registration(paid_at=paid)) == "zaplaceno 900\xa0Kč (3. 12. 2026)"
    assert payment_state(registration(paid_at="2026-12-03T10:00:00+01:00")) == "zaplaceno 900\xa0Kč (3. 12. 2026)"
    assert payment_state(registration(price=1200, status="waitlisted")) == \
        "1\xa0200\xa0Kč, platí se po získání místa"
    assert payment_state(registration(status="cancelled")) == "nezaplaceno 900\xa0Kč, neplatí se"


def test_the_export_column_says_yes_no_or_free():
    assert paid_column(registration(price=0)) == "zdarma"
    assert paid_column(registration()) == "ne"
    assert paid_column(registration(paid_at="2026-12-03T10:00:00+01:00")) == "ano (3. 12. 2026)"
