"""Registrations for one event that arrive together are registered together (group commit).

``Groups`` on its own, then a group through the use case on the real database: each refusal
stays one person's own, seats and places in line go in arrival order, and a group is one
transaction.
"""
import eventlet
import pytest
from eventlet.event import Event

from services.common.errors import Conflict
from services.common.groups import Groups
from services.common.unit_of_work import UnitOfWork
from services.registrations import store, usecases
from tests.unit.registrations.test_service import NOW, PLZEN, person, published

BASE = "https://akce.example"


def test_what_arrives_while_a_group_runs_goes_together_in_the_next_group():
    groups, release, seen = Groups(), Event(), []

    def run(key, items):
        seen.append((key, list(items)))
        if len(seen) == 1:
            release.wait()  # the first group holds on while the others arrive
        return [f"{key}:{item}" if item != "refused" else Conflict("no", "Ne.") for item in items]

    first = eventlet.spawn(groups.submit, "A", 1, run)
    eventlet.sleep(0)
    others = [eventlet.spawn(groups.submit, "A", item, run) for item in (2, "refused", 3)]
    elsewhere = eventlet.spawn(groups.submit, "B", 9, run)  # another key does not wait for A
    assert elsewhere.wait() == "B:9"
    eventlet.sleep(0.01)
    release.send()
    assert first.wait() == "A:1"
    assert [others[0].wait(), others[2].wait()] == ["A:2", "A:3"]
    with pytest.raises(Conflict):
        others[1].wait()
    assert seen == [("A", [1]), ("B", [9]), ("A", [2, "refused", 3])]
    assert (groups.runs, groups.items) == (3, 5)


def test_a_group_that_fails_fails_for_each_of_its_members_and_the_next_one_runs():
    groups, release, calls = Groups(), Event(), []

    def run(key, items):
        calls.append(list(items))
        if len(calls) == 1:
            release.wait()
            return [item for item in items]
        if len(calls) == 2:
            raise OSError("the database went away")
        return [item for item in items]

    first = eventlet.spawn(groups.submit, "A", 1, run)
    eventlet.sleep(0)
    failing = [eventlet.spawn(groups.submit, "A", item, run) for item in (2, 3)]
    eventlet.sleep(0.01)
    release.send()
    assert first.wait() == 1
    for thread in failing:
        with pytest.raises(OSError):
            thread.wait()
    assert groups.submit("A", 4, run) == 4  # nothing is left busy
    assert calls == [[1], [2, 3], [4]]


def registrations_of(service, event_id):
    return {r["email"]: r for r in service.list_registrations(event_id)}


def test_in_one_group_each_refusal_is_one_persons_and_seats_and_places_go_in_order(service):
    event = published(service, capacity=2, max_per_organisation=2)
    service.register(event["id"], person(0))
    plzen = {"organisation_ico": PLZEN, "organisation_name": "Statutární město Plzeň"}
    group = [person(1, **plzen), person(0), person(2, **plzen), person(3, **plzen),
             person(1, first_name="Jana znovu"), person(4, organisation_name="Obec Dobřany"),
             person(5, organisation_name="Obec Stod")]
    before = len(service.recorded())
    with service.database.transaction() as tx:
        outcomes = usecases.enrol(UnitOfWork(tx, NOW, service.outbox, BASE, service.signing_key), event["id"], group)

    refusals = {n: outcome.code for n, outcome in enumerate(outcomes) if isinstance(outcome, Conflict)}
    assert refusals == {1: "already_registered", 3: "organisation_limit_reached", 4: "already_registered"}
    registered = [outcome[0] for outcome in outcomes if not isinstance(outcome, Conflict)]
    assert [(r["email"], r["status"], r["waitlist_position"]) for r in registered] == [
        ("jana1@obec.example", "confirmed", None), ("jana2@obec.example", "waitlisted", 1),
        ("jana4@obec.example", "waitlisted", 2), ("jana5@obec.example", "waitlisted", 3)]
    assert outcomes[0][1]["seats_taken"] == 2 and outcomes[6][1]["waitlist_length"] == 3

    kept = registrations_of(service, event["id"])
    assert kept["jana1@obec.example"]["ticket_code"] == registered[0]["ticket_code"] is not None
    assert kept["jana2@obec.example"]["ticket_code"] is None
    assert [kept[f"jana{n}@obec.example"]["waitlist_position"] for n in (2, 4, 5)] == [1, 2, 3]
    told = service.recorded()[before:]
    assert [(kind, payload["registration"]["id"]) for kind, payload in told] == [
        ("registration_confirmed", registered[0]["id"])] + [
        ("registration_waitlisted", r["id"]) for r in registered[1:]]
    assert [payload["registration"]["waitlist_position"] for _, payload in told] == [None, 1, 2, 3]
    stats = service.event_stats(event["id"])
    assert (stats["confirmed"], stats["waitlisted"]) == (2, 3)


def test_a_group_for_an_event_that_is_closed_writes_nothing(service):
    event = published(service, capacity=5, waitlist_enabled=False)
    service.cancel_event(event["id"], "Lektor onemocněl.")
    before = service.recorded()
    with service.database.transaction() as tx:
        outcomes = usecases.enrol(UnitOfWork(tx, NOW, service.outbox, BASE, service.signing_key), event["id"],
                                  [person(1), person(2)])
    assert [outcome.code for outcome in outcomes] == ["event_cancelled", "event_cancelled"]
    assert service.list_registrations(event["id"]) == [] and service.recorded() == before


def test_a_full_event_without_a_waitlist_refuses_the_rest_of_the_group(service):
    event = published(service, capacity=2, waitlist_enabled=False)
    with service.database.transaction() as tx:
        outcomes = usecases.enrol(UnitOfWork(tx, NOW, service.outbox, BASE, service.signing_key), event["id"],
                                  [person(n) for n in range(4)])
    assert [o.code if isinstance(o, Conflict) else o[0]["status"] for o in outcomes] == [
        "confirmed", "confirmed", "event_full", "event_full"]


def test_registrations_arriving_together_are_one_transaction_and_twins_get_one_answer(service, monkeypatch):
    event = published(service, capacity=3)
    release, real = Event(), service._enrol_group

    def first_group_waits(event_id, entries):
        if not release.ready():
            release.wait()
        return real(event_id, entries)
    monkeypatch.setattr(service, "_enrol_group", first_group_waits)
    first = eventlet.spawn(service.register, event["id"], person(0))  # leads, and holds on
    eventlet.sleep(0.05)
    twins = [eventlet.spawn(service._register, event["id"], person(1), "twin-1", "hash-1") for _ in range(2)]
    eventlet.sleep(0.05)
    others = [eventlet.spawn(service.register, event["id"], person(n)) for n in (3, 4, 5)]
    eventlet.sleep(0.05)
    runs_before = service.groups.runs
    release.send()
    first.wait()
    twin_a, twin_b = [thread.wait() for thread in twins]
    answers = [thread.wait() for thread in others]

    assert service.groups.runs - runs_before == 2  # the first alone, then the five others together
    assert twin_a == twin_b and twin_a[0] == 201  # the second twin went alone and was given the kept answer
    assert twin_a[1]["email"] == "jana1@obec.example" and twin_a[1]["status"] == "confirmed"
    assert [(answer["status"], answer["waitlist_position"]) for answer in answers] == [
        ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert len(service.list_registrations(event["id"])) == 5


def test_a_group_killed_before_its_commit_leaves_nothing_and_each_member_is_told(service, monkeypatch):
    event = published(service, capacity=3)
    before = service.recorded()
    release, real = Event(), service._enrol_group

    def first_group_waits(event_id, entries):
        if not release.ready():
            release.wait()
        return real(event_id, entries)

    def killed(*_args):
        raise KeyboardInterrupt("killed after the inserts, before the commit")
    monkeypatch.setattr(service, "_enrol_group", first_group_waits)
    first = eventlet.spawn(service.register, event["id"], person(0))
    eventlet.sleep(0.05)
    group = [eventlet.spawn(service.register, event["id"], person(n)) for n in (1, 2, 3)]
    eventlet.sleep(0.05)
    monkeypatch.setattr(store, "count_in", killed)  # the inserts ran; the event's counters never will
    release.send()
    for thread in [first, group[0]]:  # each leads its group, and is stopped
        with pytest.raises(KeyboardInterrupt):
            thread.wait()
    for thread in group[1:]:  # told, not stopped with it
        with pytest.raises(RuntimeError, match="leader was stopped"):
            thread.wait()
    assert service.list_registrations(event["id"]) == [] and service.recorded() == before

    monkeypatch.undo()
    assert [service.register(event["id"], person(n))["status"] for n in range(4)] == [
        "confirmed", "confirmed", "confirmed", "waitlisted"]


def test_a_caller_stopped_while_it_waits_leaves_the_line_and_the_others_go_on():
    groups, release, seen = Groups(), Event(), []

    def run(key, items):
        seen.append(list(items))
        if len(seen) == 1:
            release.wait()
        return list(items)

    first = eventlet.spawn(groups.submit, "A", 1, run)
    eventlet.sleep(0)
    stopped, other = eventlet.spawn(groups.submit, "A", 2, run), eventlet.spawn(groups.submit, "A", 3, run)
    eventlet.sleep(0.01)
    stopped.kill()  # the first in line, who would have led the next group
    release.send()
    assert (first.wait(), other.wait()) == (1, 3)
    assert seen == [[1], [3]] and groups.submit("A", 4, run) == 4


def test_with_gather_a_leader_waits_for_those_arriving_just_after_it():
    """Events come from the broker one by one: a leader that gathers first takes in those handed
    over just after it; stopped while it gathers, it runs nothing and the next in line leads."""
    groups, seen = Groups(gather=0.05), []

    def run(key, items):
        seen.append(list(items))
        return list(items)

    callers = [eventlet.spawn(groups.submit, "A", item, run) for item in (1, 2, 3)]
    assert [caller.wait() for caller in callers] == [1, 2, 3]
    assert seen == [[1, 2, 3]]

    seen.clear()
    leader = eventlet.spawn(groups.submit, "A", 4, run)
    eventlet.sleep(0)
    follower = eventlet.spawn(groups.submit, "A", 5, run)
    eventlet.sleep(0.01)
    leader.kill()  # while it gathers
    assert follower.wait() == 5 and seen == [[5]]
    assert groups.submit("A", 6, run) == 6
