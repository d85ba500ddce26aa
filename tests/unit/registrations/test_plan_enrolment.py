"""``domain.plan_enrolment`` on its own: for any arrival order and any split into colleagues'
groups, never more than the seats, places in line without gaps, and a refusal leaves nothing."""
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import ServiceError
from services.registrations import domain

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# (IČO, name key): two villages called Lhota (one with an IČO), one without, one company
ORGANISATIONS = [("00257206", "chotesov"), (None, "kbelnice"), (None, "lhota"), ("00573612", "lhota"),
                 ("27074358", "eko plzen")]
EMAILS = [f"{name}@obec.example" for name in ("jana", "petr", "eva", "karel", "marie", "tomas", "alena")]


def event(capacity, seats_taken, waitlist_enabled, limit, waiting, queued):
    return {"id": 1, "status": "published", "registration_opens_at": None,
            "registration_closes_at": NOW + timedelta(days=5), "starts_at": NOW + timedelta(days=10),
            "collects_birth_date": False, "questions": None, "capacity": capacity, "seats_taken": seats_taken,
            "waitlist_enabled": waitlist_enabled, "max_per_organisation": limit,
            "waitlist_length": waiting, "waitlist_taken": waiting + queued}


events = st.builds(lambda capacity, taken, *rest: event(capacity, min(taken, capacity), *rest),
                   st.integers(0, 6), st.integers(0, 6), st.booleans(), st.none() | st.integers(1, 3),
                   st.integers(0, 3), st.integers(0, 2))


@st.composite
def person(draw):
    ico, key = draw(st.sampled_from(ORGANISATIONS))
    email = draw(st.sampled_from(EMAILS))
    return {"first_name": "Jana", "last_name": "Nováková", "email": draw(st.sampled_from([email, email.upper()])),
            "organisation_ico": ico, "organisation_name": key.title(), "organisation_key": key}


@st.composite
def requests(draw, people=None):
    """``people`` (or any) split into requests: one person alone, or colleagues of the first one's organisation."""
    people = draw(st.lists(person(), max_size=10)) if people is None else people
    split, index = [], 0
    while index < len(people):
        size = draw(st.integers(1, 4))
        group = people[index:index + size]
        if len(group) == 1 and draw(st.booleans()):
            split.append(group[0])
        else:
            first = group[0]
            split.append({"organisation_ico": first["organisation_ico"],
                          "organisation_name": first["organisation_name"],
                          "organisation_key": first["organisation_key"], "registrant": {"email": first["email"]},
                          "waitlist_rest": draw(st.booleans()),
                          "attendees": [{k: p[k] for k in ("first_name", "last_name", "email")} for p in group]})
        index += size
    return split


counts = st.dictionaries(st.sampled_from(ORGANISATIONS), st.integers(0, 3), max_size=3)
taken = st.sets(st.sampled_from(EMAILS), max_size=3)


def waitlisted(plan):
    return [placed for placed in plan.placed if placed.status == "waitlisted"]


@settings(max_examples=300, deadline=None)
@given(events, requests(), counts, taken)
def test_never_more_than_the_seats(event, asked, counts, taken):
    plan = domain.plan_enrolment(event, asked, counts, taken, NOW)
    confirmed = sum(1 for placed in plan.placed if placed.status == "confirmed")
    assert plan.event["seats_taken"] == event["seats_taken"] + confirmed <= event["capacity"]
    assert all(placed.event["seats_taken"] <= event["capacity"] for placed in plan.placed)
    if not event["waitlist_enabled"]:
        assert not waitlisted(plan)


@settings(max_examples=300, deadline=None)
@given(events, requests(), counts, taken)
def test_places_in_line_run_on_without_gaps(event, asked, counts, taken):
    """With nobody waiting before, the places told are 1..N in the order of arrival; the queue
    numbers go on from the event's last one, also without gaps."""
    plan = domain.plan_enrolment(event, asked, counts, taken, NOW)
    waiting = waitlisted(plan)
    assert [p.place for p in waiting] == list(range(event["waitlist_length"] + 1, event["waitlist_length"] + 1
                                                    + len(waiting)))
    assert [p.waitlist_position for p in waiting] == list(range(event["waitlist_taken"] + 1,
                                                                event["waitlist_taken"] + 1 + len(waiting)))
    assert plan.event["waitlist_length"] - event["waitlist_length"] == len(waiting)
    assert all(p.place is None and p.waitlist_position is None for p in plan.placed if p.status == "confirmed")


@settings(max_examples=300, deadline=None)
@given(events.map(lambda e: dict(e, waitlist_length=0, waitlist_taken=0)), requests(), counts, taken)
def test_places_start_at_one(event, asked, counts, taken):
    plan = domain.plan_enrolment(event, asked, counts, taken, NOW)
    assert [p.place for p in waitlisted(plan)] == list(range(1, len(waitlisted(plan)) + 1))


@settings(max_examples=300, deadline=None)
@given(events, requests(), counts, taken)
def test_a_refusal_leaves_nothing_behind(event, asked, counts, taken):
    """Planning again without the refused requests places everyone the same: a refusal took no
    seat, no place in line, no address and no count of an organisation. Colleagues are all or
    none, and nobody already registered (or twice in the group) is placed."""
    plan = domain.plan_enrolment(event, asked, counts, taken, NOW)
    kept = [request for request, outcome in zip(asked, plan.outcomes, strict=True)
            if not isinstance(outcome, ServiceError)]
    again = domain.plan_enrolment(event, kept, counts, taken, NOW)
    assert not any(isinstance(outcome, ServiceError) for outcome in again.outcomes)
    assert again.placed == plan.placed and again.event == plan.event
    for index, request in enumerate(asked):  # each outcome is decided by those placed before it alone
        before = [earlier for earlier, outcome in zip(asked[:index], plan.outcomes, strict=False)
                  if not isinstance(outcome, ServiceError)]
        alone = domain.plan_enrolment(event, [*before, request], counts, taken, NOW).outcomes[-1]
        if isinstance(plan.outcomes[index], ServiceError):
            assert (type(alone), alone.code) == (type(plan.outcomes[index]), plan.outcomes[index].code)
        else:
            assert alone == plan.outcomes[index]
    for request, outcome in zip(asked, plan.outcomes, strict=True):
        if "attendees" in request and not isinstance(outcome, ServiceError):
            assert len(outcome) == len(request["attendees"])
    emails = [domain.email_key(placed.person["email"]) for placed in plan.placed]
    assert len(emails) == len(set(emails)) and not set(emails) & {domain.email_key(e) for e in taken}
    if not plan.placed:
        assert plan.event == event


@settings(max_examples=300, deadline=None)
@given(events, requests(), counts, taken)
def test_the_organisation_limit_is_passed_only_on_the_waitlist(event, asked, counts, taken):
    plan = domain.plan_enrolment(event, asked, counts, taken, NOW)
    if event["max_per_organisation"] is None:
        return
    for ico, key in ORGANISATIONS:
        seated = [p for p in plan.placed if p.status == "confirmed"
                  and domain.registered_of_organisation({(p.person["organisation_ico"],
                                                          p.person["organisation_key"]): 1}, ico, key)]
        before = domain.registered_of_organisation(counts, ico, key)
        assert len(seated) <= max(event["max_per_organisation"] - before, 0)


@settings(max_examples=200, deadline=None)
@given(st.data(), events.map(lambda e: dict(e, waitlist_enabled=True, max_per_organisation=None)),
       st.permutations(EMAILS))
def test_the_group_split_changes_nobodys_seat(data, event, emails):
    """Without refusals (a waitlist, no limit, new addresses), the people in one arrival order get
    the same seats and places however they are split into colleagues' groups."""
    people = [dict(data.draw(person()), email=email) for email in emails]
    one_by_one = domain.plan_enrolment(event, people, {}, set(), NOW)
    split = domain.plan_enrolment(event, data.draw(requests(people)), {}, set(), NOW)
    assert [(p.person["email"], p.status, p.place) for p in split.placed] == [
        (p.person["email"], p.status, p.place) for p in one_by_one.placed]
    assert split.event == one_by_one.event


def test_a_refused_person_between_two_takes_nothing():
    """A plain example: two seats, the second person already registered, the third gets the seat."""
    full = event(2, 0, True, None, 0, 0)
    people = [{"first_name": "Jana", "last_name": f"Nováková {n}", "email": email, "organisation_ico": None,
               "organisation_name": None, "organisation_key": None} for n, email in enumerate(EMAILS[:4])]
    plan = domain.plan_enrolment(full, people, {}, {EMAILS[1]}, NOW)
    assert plan.outcomes[1].code == "already_registered"
    assert [(p.person["email"], p.status, p.place) for p in plan.placed] == [
        (EMAILS[0], "confirmed", None), (EMAILS[2], "confirmed", None), (EMAILS[3], "waitlisted", 1)]
    assert (plan.event["seats_taken"], plan.event["waitlist_length"]) == (2, 1)
    assert full["seats_taken"] == 0  # the event given is not changed
