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


AUDIT_CALLS = {"_audited", "audited", "audit", "add_audit"}


def _audit_detail_keys():
    """Every key the console writes into an audit row's details, read from its code: the dicts
    given to the audit calls, and what an action adds to ``entry.details`` as it goes."""
    import ast
    import pathlib
    keys = {}

    def named(node):
        return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)

    def dict_keys(node, where):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Dict):
                keys.update({k.value: where for k in sub.keys if isinstance(k, ast.Constant)})
            elif isinstance(sub, ast.Call) and named(sub.func) in ("dict", "update"):
                keys.update({k.arg: where for k in sub.keywords if k.arg})
            elif isinstance(sub, ast.comprehension):  # {key: report[key] for key in ("created", ...)}
                keys.update({e.value: where for e in getattr(sub.iter, "elts", []) if isinstance(e, ast.Constant)})

    for path in sorted(pathlib.Path("services/backoffice").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and named(node.func) in AUDIT_CALLS:
                for argument in node.args[2:] + [k.value for k in node.keywords]:
                    dict_keys(argument, where)
            elif isinstance(node, ast.Subscript) and named(node.value) == "details" \
                    and isinstance(node.slice, ast.Constant):
                keys[node.slice.value] = where
            elif isinstance(node, ast.Call) and named(node.func) == "update" \
                    and named(getattr(node.func, "value", None)) == "details":
                dict_keys(node, where)
    return keys


def test_every_key_the_console_audits_has_a_czech_name():
    keys = _audit_detail_keys()
    assert {"registration_ids", "changed", "recipients", "created"} <= set(keys)  # the scan finds them
    assert {key: where for key, where in keys.items() if key not in domain.DETAIL_KEYS
            and key != domain.REFUSAL} == {}


def test_a_refusal_reads_in_czech_and_a_failure_says_what_failed():
    from services.backoffice.auditing import outcome_text
    assert outcome_text({"outcome": "refused", "error": "event_full",
                         "details": {"refusal": "Akce je plná."}}) == "odmítnuto: Akce je plná."
    assert outcome_text({"outcome": "refused", "error": "event_full", "details": {}}) == "odmítnuto (event_full)"
    assert outcome_text({"outcome": "failed", "error": "service_unavailable"}) == \
        "nezdařilo se (služba byla nedostupná)"
    assert outcome_text({"outcome": "failed", "error": "KeyError"}) == "nezdařilo se (chyba v systému)"
    assert domain.details_text({"event_id": 3, "refusal": "Akce je plná."}) == "akce: 3"


def test_a_payment_in_time_after_the_release_is_named_in_the_statements_summary():
    note = "platba došla včas, ale po uvolnění místa: přihláška se obnoví, je-li volné místo, jinak se platba vrátí"
    paid = [{"names": ["Věra Průchová"], "amount_halere": 90000, "variable_symbol": "1000000012", "reason": None,
             "note": note}]
    assert domain.paid_people(paid) == f"Věra Průchová (900\xa0Kč, VS 1000000012) – {note}"
