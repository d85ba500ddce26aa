"""What the console shows instead of internal names, and the sentences of its money actions."""
from services.backoffice import domain


def test_audit_details_are_czech_keys_and_values():
    assert domain.details_text({"audience": "confirmed", "registration_ids": [2, 3]}) == \
        "komu: jen potvrzeným, přihlášky: 2, 3"
    assert domain.details_text({"role": "door", "told": True, "changes": {
        "starts_at": ["2027-01-05T09:00:00+01:00", "2027-01-05T10:30:00+01:00"]}}) == \
        "role: vstup, dostanou e-mail: ano, změny: začátek: 5. 1. 2027 9:00 → 5. 1. 2027 10:30"
    assert domain.details_text({"since": "2005-01-01", "note": None, "message_ids": []}) == \
        "since: 1. 1. 2005, poznámka: –, události: –"


def test_every_email_kind_the_mailer_knows_has_a_czech_name():
    from services.common.vocabulary import EmailStatus
    from services.notifications.domain import EMAILS
    assert set(EMAILS) <= set(domain.EMAIL_KINDS)
    assert set(EmailStatus) <= set(domain.EMAIL_STATES)
    assert domain.email_kind("attendee_message") == "zpráva účastníkům akce"
    assert [domain.role_name(role) for role in domain.ROLES] == ["správce", "kancelář", "vstup"]


def test_a_greeting_staff_typed_is_taken_out_the_email_has_its_own():
    assert domain.without_greeting("Dobrý den,\n\nparkujte za budovou.") == ("parkujte za budovou.", "Dobrý den,")
    assert domain.without_greeting("Vážení účastníci!\nParkujte za budovou.") == (
        "Parkujte za budovou.", "Vážení účastníci!")
    assert domain.without_greeting("Parkujte za budovou.") == ("Parkujte za budovou.", None)
    assert domain.without_greeting("Dobrý den") == ("Dobrý den", None)  # nothing would be left
    kept = "Milí kolegové z obcí, kteří jste se přihlásili na seminář o odpadech, prosíme o strpení."
    assert domain.without_greeting(kept) == (kept, None)


def test_a_statement_says_whom_it_paid():
    report = {"lines": 3, "duplicates": 1, "to_check": 1, "statement_id": "42", "paid": [
        {"names": ["Jana Nováková"], "amount_halere": 90000, "variable_symbol": "1000000012", "reason": None}]}
    assert domain.statement_done(report) == (
        "Výpis 42 je nahraný (3 řádky). Zaplatili: Jana Nováková (900\xa0Kč, VS 1000000012). "
        "Na kontrolu čeká 1 platba. Už dříve nahraných řádků: 1.")
    assert domain.crowns(123450) == "1\xa0234,50\xa0Kč" and domain.crowns(-90000) == "−900\xa0Kč"
    many = dict(report, paid=[dict(report["paid"][0], names=[f"Osoba {n}"]) for n in range(10)])
    assert domain.statement_done(many).count("Osoba") == domain.NAMES_SAID and "a 2 další platby" in \
        domain.statement_done(many)
