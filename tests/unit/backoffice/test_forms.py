"""The console's forms read without a browser or a service: what ``forms`` makes of what the
browser sends, and the lists the pages filter with ``domain``."""
from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from services.backoffice import domain, forms
from services.common.errors import ValidationError

EVENT = {"title": "Rozpočet obce", "kind": "seminar", "topic": "Finance", "venue": "Plzeň, sál",
         "starts": "2027-03-03T09:00", "ends": "2027-03-03T12:00", "capacity": "30"}


def test_question_rows_are_read_in_their_numbers_order_and_blank_ones_are_left_out():
    post = forms.event_post(MultiDict(dict(EVENT, q7_label="Oběd?", q7_type="choice", q7_options="ano\nne",
                                           q7_required="ano", q2_label="Dotaz na lektora", q2_type="text",
                                           q3_label="  ", q3_options="")))
    assert [row["label"] for row in post.rows] == ["Dotaz na lektora", "Oběd?"]
    assert [row["required"] for row in post.rows] == ["ne", "ano"]
    assert post.changed_rows is None
    assert post.values["waitlist_enabled"] == "ne"  # an unticked box


def test_the_add_and_remove_buttons_give_the_rows_back_changed():
    sent = dict(EVENT, q1_label="První", q2_label="", q3_label="Třetí")
    added = forms.event_post(MultiDict(dict(sent, pridat_otazku="")))
    assert [row["label"] for row in added.changed_rows] == ["První", "", "Třetí", ""]
    removed = forms.event_post(MultiDict(dict(sent, odebrat_otazku="1")))
    assert [row["label"] for row in removed.changed_rows] == ["", "Třetí"]


def test_the_event_is_sent_on_with_prague_times_and_keyed_questions():
    data = forms.event_data(forms.event_post(MultiDict(dict(
        EVENT, waitlist_enabled="ano", q1_label="Dotaz na lektora", q1_type="text", q1_id="",
        q2_label="Dotaz na lektora", q2_type="text", q2_id=""))))
    assert data["starts_at"] == "2027-03-03T09:00:00+01:00" and data["ends_at"] == "2027-03-03T12:00:00+01:00"
    assert "starts" not in data and data["capacity"] == 30 and data["waitlist_enabled"] is True
    assert [q["id"] for q in data["questions"]] == ["dotaz_na_lektora", "dotaz_na_lektora_2"]


def test_sessions_decide_the_times_of_a_multiday_event():
    data = forms.event_data(forms.event_post(MultiDict(dict(
        EVENT, sessions="3. 7. 2027 9:00–12:00\n10. 7. 2027 9:00–12:00"))))
    assert "starts_at" not in data
    assert [s["starts_at"] for s in data["sessions"]] == ["2027-07-03T09:00:00+02:00", "2027-07-10T09:00:00+02:00"]


def test_a_refused_form_names_the_forms_fields_in_czech():
    with pytest.raises(ValidationError) as refused:
        forms.event_data(forms.event_post(MultiDict(dict(EVENT, capacity="třicet"))))
    assert forms.event_errors(refused.value) == {"capacity": "Zadejte počet míst číslem."}
    assert forms.event_errors(ValidationError({"starts_at": "Začátek je po konci."})) == {
        "starts": "Začátek je po konci."}


def test_an_event_is_shown_in_the_form_as_typed_and_answered_questions_come_back():
    event = {"title": "Rozpočet", "kind": "seminar", "venue": "Plzeň", "capacity": 30, "price_member": None,
             "waitlist_enabled": True, "starts_at": "2027-03-03T08:00:00+00:00", "ends_at": "2027-03-03T11:00:00+00:00",
             "questions": [{"id": "obed", "label": "Oběd?", "type": "choice", "options": ["ano", "ne"],
                            "required": True}]}
    values = forms.event_values(event)
    assert values["starts"] == "2027-03-03T09:00" and values["price_member"] == "" and values["capacity"] == "30"
    assert values["waitlist_enabled"] == "ano" and values["collects_birth_date"] == "ne"
    assert values["questions"] == [{"id": "obed", "label": "Oběd?", "type": "choice", "options": "ano\nne",
                                    "required": "ano"}]
    kept = [{"id": "", "label": "Nová", "type": "text", "options": "", "required": "ne"}]
    assert [row["id"] for row in forms.with_answered_questions(kept, event)] == ["", "obed"]


def test_the_substitute_form_sends_a_birth_date_only_where_the_event_collects_it():
    sent = MultiDict({"first_name": " Petr ", "last_name": "Novák", "email": "petr@obec.cz", "phone": "",
                      "birth_date": "1. 1. 1980", "gdpr_consent": "ano"})
    values, data = forms.substitute(sent, collects_birth_date=False)
    assert data == {"first_name": "Petr", "last_name": "Novák", "email": "petr@obec.cz", "gdpr_consent": True}
    assert values["first_name"] == " Petr " and values["birth_date"] == "1. 1. 1980"
    assert forms.substitute(sent, collects_birth_date=True)[1]["birth_date"] == "1. 1. 1980"
    assert forms.substitute(MultiDict(), collects_birth_date=True)[1] == {"gdpr_consent": False}


def test_the_announcement_form_drops_a_greeting_and_an_unknown_district():
    post = forms.announcement(MultiDict({"subject": "Nový seminář", "text": "Dobrý den,\n\nzveme vás.",
                                         "audience": "Atlantida"}), ["Plzeň-město", "Rokycany"])
    assert post.values["text"] == "zveme vás." and post.greeting == "Dobrý den,"
    assert post.audience == "members" and post.errors == {}
    blank = forms.announcement(MultiDict({"subject": " ", "audience": "Rokycany"}), ["Rokycany"])
    assert blank.audience == "Rokycany"
    assert blank.errors == {"subject": "Toto pole je povinné.", "text": "Toto pole je povinné."}


def test_the_filters_of_lists_read_only_what_they_know():
    assert forms.message_filters(MultiDict({"stav": "failed", "druh": "nesmysl", "komu": "  "})) == (
        "failed", None, None)
    assert forms.registration_filters(MultiDict({"hledat": " NOVÁ "})) == (None, "nová")
    assert forms.reason(MultiDict({"reason": "  lektor\n onemocněl "})) == "lektor onemocněl"


def test_events_are_filtered_by_which_and_topic_and_the_door_sees_todays():
    events = [{"id": 1, "status": "published", "topic": "Finance", "starts_at": "2027-03-01T09:00:00+01:00",
               "ends_at": "2027-03-02T12:00:00+01:00"},
              {"id": 2, "status": "draft", "topic": "Stavby", "starts_at": "2027-03-10T09:00:00+01:00",
               "ends_at": "2027-03-10T12:00:00+01:00"},
              {"id": 3, "status": "published", "topic": "Stavby", "starts_at": "2027-03-02T09:00:00+01:00",
               "ends_at": "2027-03-02T12:00:00+01:00"}]
    now = datetime(2027, 3, 5, tzinfo=UTC)
    assert domain.events_shown(events, "probehle", None, now) == ([events[0], events[2]], ["Finance", "Stavby"])
    assert domain.events_shown(events, "koncepty", None, now) == ([events[1]], ["Stavby"])
    assert domain.events_shown(events, "nadchazejici", "Stavby", now) == ([events[1], events[2]],
                                                                          ["Finance", "Stavby"])
    assert [e["id"] for e in domain.events_on(events, date(2027, 3, 2))] == [1, 3]
    assert domain.events_on(events, date(2027, 3, 3)) == []


def test_registrations_are_found_by_name_email_or_organisation():
    people = [{"first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.cz", "organisation_name": None,
               "status": "confirmed"},
              {"first_name": "Petr", "last_name": "Svoboda", "email": "petr@mesto.cz",
               "organisation_name": "Obec Chotěšov", "status": "cancelled"}]
    assert domain.registrations_matching(people, "") == people
    assert domain.registrations_matching(people, "chotěšov") == [people[1]]
    assert domain.registrations_matching(people, "nováková") == [people[0]]
    assert domain.live_emails(people) == {"jana@obec.cz"}


def test_the_audit_pages_keep_their_filter_in_their_links():
    assert domain.audit_pages(0, 3) == (1, 1)
    assert domain.audit_pages(domain.AUDIT_PER_PAGE * 2 + 1, 2) == (3, 2)
    assert domain.audit_pages(domain.AUDIT_PER_PAGE * 2, 7) == (2, 2)
    links = domain.audit_links({"kdo": "jana@obec.cz", "co": "", "od": "1. 3. 2027"}, 2, 3)
    assert links == {"previous": "/audit?kdo=jana%40obec.cz&od=1.+3.+2027",
                     "next": "/audit?kdo=jana%40obec.cz&od=1.+3.+2027&strana=3",
                     "csv": "/audit?kdo=jana%40obec.cz&od=1.+3.+2027&format=csv"}
    assert domain.audit_links({}, 1, 1) == {"previous": None, "next": None, "csv": "/audit?format=csv"}


def test_the_dashboard_counts_days_and_a_lost_ticket_is_found_among_the_emails():
    events = [{"id": 4, "starts_at": "2027-03-10T09:00:00+01:00"}, {"id": 5, "starts_at": "2027-03-01T09:00:00+01:00"}]
    assert domain.days_to(events, date(2027, 3, 3)) == {4: 7, 5: -2}
    messages = [{"id": 1, "kind": "payment_reminder"}, {"id": 2, "kind": "registration_restored"},
                {"id": 3, "kind": "registration_confirmed"}]
    assert [m["id"] for m in domain.ticket_emails(messages)] == [2, 3]


def test_the_accountants_month_is_the_one_chosen_or_the_one_before_and_a_typo_is_said_in_czech():
    assert forms.accounting_month(MultiDict({"mesic": "2028-04"}), date(2028, 6, 1)) == "2028-04"
    assert forms.accounting_month(MultiDict({"mesic": " 4/2028 "}), date(2028, 6, 1)) == "2028-04"
    assert forms.accounting_month(MultiDict(), date(2028, 1, 15)) == "2027-12"  # January closes December
    assert forms.accounting_month(MultiDict({"mesic": ""}), date(2028, 3, 31)) == "2028-02"
    with pytest.raises(ValidationError) as refused:
        forms.accounting_month(MultiDict({"mesic": "2028-13"}), date(2028, 6, 1))
    assert refused.value.message == "Měsíc zadejte jako rok a měsíc, například 2028-04 (roky 2000 až 2099)."
    assert domain.month_label("2028-04") == "duben 2028" and domain.month_label("nic") == "nic"
