"""The console's plain rules for the door (finding a person by name) and for events (question
keys, what cancelling tells, what an edit saved), and a refusal's messages as text."""
from datetime import UTC, datetime

from services.backoffice import domain


def registration(first, last, status="confirmed", organisation="Obec Chotěšov", number=1):
    return {"id": number, "first_name": first, "last_name": last, "status": status,
            "organisation_name": organisation, "email": f"{number}@obec.example"}


PEOPLE = [registration("Jana", "Nováková", number=1), registration("Jan", "Novák", number=2),
          registration("Věra", "Průchová", number=3), registration("Eva", "Nováčková", "waitlisted", number=4),
          registration("Ondřej", "Šťastný", organisation=None, number=5)]


def names(found):
    return [f"{r['first_name']} {r['last_name']}" for r in found]


def test_the_door_finds_confirmed_people_by_part_of_the_name_without_diacritics():
    assert names(domain.door_matches(PEOPLE, "nova")) == ["Jan Novák", "Jana Nováková"]  # not Eva: waiting
    assert names(domain.door_matches(PEOPLE, "NOVÁKOVÁ jana")) == ["Jana Nováková"]
    assert names(domain.door_matches(PEOPLE, "pruch")) == ["Věra Průchová"]
    assert names(domain.door_matches(PEOPLE, "stastny")) == ["Ondřej Šťastný"]
    assert domain.door_matches(PEOPLE, "n") == [] and domain.door_matches(PEOPLE, "  ") == []  # too short
    assert domain.door_matches(PEOPLE, "svoboda") == []
    many = [registration("Jana", f"Nováková {n}", number=n) for n in range(30)]
    assert len(domain.door_matches(many, "jana")) == domain.MAX_DOOR_MATCHES


def test_the_door_asks_with_the_name_and_the_organisation():
    assert domain.with_organisation(PEOPLE[0]) == "Jana Nováková (Obec Chotěšov)"
    assert domain.with_organisation(PEOPLE[4]) == "Ondřej Šťastný"
    assert domain.outside_days_question("Akce je až 15. 12. 2026.") == "Akce je až 15. 12. 2026 – opravdu vpustit?"


def test_new_questions_get_keys_from_their_text_unlike_the_others():
    assert domain.question_keys(["strava", "", "", ""], ["Jakou stravu?", "Strava", "Strava", "???"]) == [
        "strava", "strava_2", "strava_3", "otazka"]
    assert domain.question_keys([""] * 2, ["Dotaz na lektora", "Parkování"]) == ["dotaz_na_lektora", "parkovani"]
    long = "Kterých " + "modulů " * 10
    assert all(len(key) <= 40 for key in domain.question_keys(["", ""], [long, long]))


def test_cancelling_an_event_says_who_is_emailed_and_why():
    said = domain.cancel_event_consequences({"confirmed": 23, "waitlisted": 4}, "Lektor onemocněl.")
    assert said[0] == "23 přihlášených a 4 na čekací listině dostanou e-mail s důvodem: „Lektor onemocněl.“"
    assert domain.cancel_event_consequences({"confirmed": 1, "waitlisted": 0}, "x")[0].startswith(
        "1 přihlášený dostane e-mail")
    assert domain.cancel_event_consequences({"confirmed": 0, "waitlisted": 2}, "x")[0].startswith(
        "2 na čekací listině dostanou")
    assert domain.cancel_event_consequences({"confirmed": 0, "waitlisted": 0}, "x")[0] == (
        "Nikdo není přihlášený, e-mail nikomu nepůjde.")
    assert domain.cancel_event_done({"title": "GDPR"}, {"confirmed": 3, "waitlisted": 2}) == (
        "Akce „GDPR“ je zrušená. E-mail s důvodem odchází: 5 osob.")


def test_after_an_edit_the_message_names_what_changed():
    before = {"title": "GDPR", "capacity": 20, "starts_at": "2026-12-30T09:00:00+01:00", "questions": [],
              "waitlist_enabled": True}
    same_moment = dict(before, starts_at="2026-12-30T08:00:00+00:00")
    assert domain.saved_message(before, same_moment, 0) == "Akce „GDPR“ je uložená beze změn."
    after = dict(before, capacity=25, questions=[{"id": "strava"}], waitlist_enabled=False)
    assert domain.saved_message(before, after, 3) == (
        "Změny akce „GDPR“ jsou uložené: počet míst, čekací listina, otázky. Přihlášení (3) dostanou e-mail o změně.")


def test_a_refusals_messages_are_shown_as_text_not_as_a_list():
    assert domain.statement_problem({"data": ["Výpis se nepodařilo přečíst: není to XML."]}, "x") == (
        "Výpis se nepodařilo přečíst: není to XML.")
    assert domain.statement_problem({"vs": "Neznámý symbol.", "data": ["A.", "B."]}, "x") == "Neznámý symbol. A. B."
    assert domain.statement_problem({}, "Obecná chyba.") == "Obecná chyba."


def test_the_certificates_area_says_when_certificates_go_out_unsealed_or_with_a_seal_nobody_trusts():
    now = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    seal = {"configured": True, "subject": "CN=SMOPK – pečeť,O=SMOPK,C=CZ", "sample": False, "expired": False,
            "valid_until": "2028-01-10T00:00:00+00:00"}
    assert domain.seal_notice(seal, now) == {
        "problem": False, "text": "Osvědčení nesou elektronickou pečeť (CN=SMOPK – pečeť,O=SMOPK,C=CZ), platnou do "
                                  "10. 1. 2028."}
    assert "bez elektronické pečeti" in domain.seal_notice({"configured": False}, now)["text"]
    assert "VZOREK" in domain.seal_notice(dict(seal, sample=True), now)["text"]
    assert "platil do" in domain.seal_notice(dict(seal, expired=True), now)["text"]
    soon = domain.seal_notice(dict(seal, valid_until="2027-01-20T00:00:00+00:00"), now)
    assert soon["problem"] and "Včas nastavte nový certifikát" in soon["text"]
    assert domain.seal_notice(None, now)["problem"]
