"""Issue 24 (2): the question before restoring a cancelled registration says what a fee means:
a new request to pay with the amount, or none until a seat in line; a paid one is asked again."""
from services.backoffice import domain

VERA = {"first_name": "Věra", "last_name": "Průchová", "email": "vera@obec.example", "price": 900,
        "status": "cancelled", "payment": None, "paid_at": None}
FREE, FULL = {"confirmed": 2, "capacity": 3, "waitlisted": 0}, {"confirmed": 3, "capacity": 3, "waitlisted": 1}


def test_a_fee_is_asked_for_again_with_its_amount_once_the_person_has_a_seat():
    said = domain.restore_consequences(VERA, FREE)
    assert said[0] == ("Volné místo je: Věra Průchová bude znovu potvrzen(a) a dostane e-mail s novou vstupenkou "
                       "a s novou výzvou k platbě (900\u00a0Kč) s novým variabilním symbolem.")
    assert "Původní vstupenka zůstane neplatná." in said and not any("zaplacená" in line for line in said)
    in_line = domain.restore_consequences(VERA, FULL)
    assert in_line[0].startswith("Akce je plná: Věra Průchová bude na čekací listině jako 2. v pořadí")
    assert in_line[0].endswith("Výzvu k platbě (900\u00a0Kč) dostane, až získá místo.")
    free = domain.restore_consequences(dict(VERA, price=0), FREE)
    assert free[0].endswith("dostane e-mail s novou vstupenkou.") and "platb" not in " ".join(free)


def test_a_paid_cancellation_is_said_to_be_paid_again_and_its_refund_left_as_it_is():
    for paid in (dict(VERA, paid_at="2026-11-28T10:00:00+00:00"), dict(VERA, payment={"late_refused": True})):
        [*_, warning] = domain.restore_consequences(paid, FREE)
        assert warning.startswith("Zrušená přihláška byla zaplacená: platba se na obnovenou přihlášku nepřevádí, "
                                  "Věra Průchová bude vyzván(a) zaplatit znovu.")
        assert "Vrácení původní platby zůstává, jak je" in warning


def test_the_message_afterwards_names_the_fee():
    assert domain.restore_done(dict(VERA, status="confirmed")) == (
        "Přihláška je obnovená: Věra Průchová má znovu místo. E-mail se vstupenkou a výzvou k platbě "
        "(900\u00a0Kč) odchází.")
