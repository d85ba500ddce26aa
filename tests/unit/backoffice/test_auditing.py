"""The audit row is written before the action, in its own committed transaction, and marked with
how the action ended; without it the action does not run (issue 25, item 7)."""
from datetime import UTC, datetime, timedelta

import pytest

from services.backoffice import auditing, domain, store
from services.backoffice.service import ACTIONS, BackofficeService
from services.common.errors import Conflict, ServiceUnavailable

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ADMIN = {"email": "admin@smopk.example"}


@pytest.fixture
def db(make_database):
    return make_database("backoffice", store.metadata)


def rows(db, **filters):
    with db.transaction() as tx:
        return store.list_audit(tx, limit=1000, **filters)


def test_the_row_is_committed_before_the_action_runs_and_marked_done_after(db):
    seen = []
    with auditing.audited(db, lambda: NOW, ADMIN, "event_published", {"event_id": 7}) as entry:
        # another transaction (the other service's call happens here) already sees the intent
        [row] = rows(db)
        seen.append((row["outcome"], row["action"], row["details"]))
        entry.details["title"] = "Zákon o obcích"
    assert seen == [("started", "event_published", {"event_id": 7})]
    [row] = rows(db)
    assert (row["outcome"], row["error"], row["details"]) == ("done", None, {"event_id": 7, "title": "Zákon o obcích"})
    assert auditing.outcome_text(row) == "provedeno" and row["finished_at"] == NOW


def test_a_refusal_is_marked_refused_with_its_code_and_an_outage_failed(db):
    with pytest.raises(Conflict), auditing.audited(db, lambda: NOW, ADMIN, "registration_cancelled", {}):
        raise Conflict("too_late", "Akce už začala.")
    with pytest.raises(ServiceUnavailable), auditing.audited(db, lambda: NOW, ADMIN, "event_cancelled", {}):
        raise ServiceUnavailable("registrations")
    failed, refused = rows(db)
    assert (refused["outcome"], refused["error"]) == ("refused", "too_late")
    assert auditing.outcome_text(refused) == "odmítnuto: Akce už začala."
    assert (failed["outcome"], failed["error"]) == ("failed", "service_unavailable")


def test_without_its_row_the_action_does_not_run_and_staff_see_the_outage(db):
    class Away:
        def transaction(self):
            raise OSError("disk away")
    ran = []
    with pytest.raises(ServiceUnavailable) as refused:
        with auditing.audited(Away(), lambda: NOW, ADMIN, "event_cancelled", {}):
            ran.append(True)
    assert ran == [] and refused.value.status == 503


def test_a_row_whose_mark_failed_stays_unfinished(db, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk away")
    monkeypatch.setattr(store, "finish_audit", broken)
    with auditing.audited(db, lambda: NOW, ADMIN, "materials_sent", {"event_id": 1}):
        pass  # the action happened; only its mark is missing
    [row] = rows(db)
    assert row["outcome"] == "started" and auditing.outcome_text(row) == "nedokončeno (výsledek nejistý)"


def test_the_log_pages_through_every_row_and_filters_by_who_what_when_and_outcome(db):
    with db.transaction() as tx:
        for n in range(620):
            store.add_audit(tx, NOW + timedelta(hours=n), "jana@smopk.example" if n % 2 else "petr@smopk.example",
                            "checked_in" if n % 3 else "message_read", {"n": n})
        store.add_audit(tx, NOW, "jana@smopk.example", "event_cancelled", {}, outcome="started")
    with db.transaction() as tx:
        assert store.count_audit(tx) == 621
        assert [r["details"]["n"] for r in store.list_audit(tx, limit=50, offset=600)][:3] == [20, 19, 18]
        assert store.count_audit(tx, who="JANA") == 311 and store.count_audit(tx, action="message_read") == 207
        assert store.count_audit(tx, outcome="started") == 1 and store.count_audit(tx, outcome="done") == 620
        older = store.list_audit(tx, limit=1000, before_id=100)
        assert len(older) == 99 and older[0]["id"] == 99
    filters, values, problems = domain.audit_filters({"kdo": " jana ", "co": "checked_in", "od": "28. 11. 2026",
                                                      "do": "2026-11-28", "vysledek": "provedeno"}, ACTIONS)
    assert problems == [] and values["od"] == "2026-11-28"
    with db.transaction() as tx:
        found = store.list_audit(tx, limit=1000, **filters)
    # 28 November in Prague: 23:00 UTC on the 27th to 23:00 UTC on the 28th
    assert {r["who"] for r in found} == {"jana@smopk.example"} and {r["action"] for r in found} == {"checked_in"}
    assert all(datetime(2026, 11, 27, 23, tzinfo=UTC) <= r["at"] < datetime(2026, 11, 28, 23, tzinfo=UTC)
               for r in found) and len(found) == 8
    _filters, _values, problems = domain.audit_filters({"co": "nonsense", "od": "loni"}, ACTIONS)
    assert _filters == {} and len(problems) == 2


def test_every_audited_action_of_the_console_has_a_czech_label():
    import inspect
    import re

    from services.backoffice import after, attendance, payments, records, register
    from services.backoffice import service as console
    said = set()
    for module in (console, after, attendance, payments, records, register):
        said |= set(re.findall(r'_audited\(request, "(\w+)"', inspect.getsource(module)))
        assert "self._audit(" not in inspect.getsource(module), module.__name__
    assert said and said <= set(ACTIONS)
    for read in ("registrations_exported", "attendance_sheet_printed", "attendee_list_printed", "message_read",
                 "dead_letters_viewed", "training_record_viewed", "training_record_downloaded", "contacts_viewed"):
        assert read in said
    assert not hasattr(BackofficeService, "_audit")
