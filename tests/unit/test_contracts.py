"""The event contracts (services/common/contracts.py) against the code that publishes and consumes.

Real payloads come from the publishers' own use cases: the unit tests of registrations, payments
and members are run with every payload given to the outbox captured (``tests/contract_capture.py``),
and each is loaded with the loader of every handler declared for its event type.
"""
import ast
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.backoffice.service import BackofficeService
from services.common import contracts
from services.common.events import ReliableEventHandler
from services.common.outbox import Outbox
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.registrations import store
from services.registrations.service import RegistrationsService
from tests.unit.registrations.test_service import NOW

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONSUMING_SERVICES = (RegistrationsService, NotificationsService, PaymentsService, BackofficeService)
# Together these publish every event type from its real use case (a test below checks that).
PUBLISHING_TESTS = [f"tests/unit/registrations/{name}.py" for name in (
    "test_lifecycle", "test_after", "test_colleagues", "test_certificates", "test_substitute",
    "test_paid_after_release", "test_portal")] + ["tests/unit/payments/test_payments.py",
                                                  "tests/unit/payments/test_money_review.py",
                                                  "tests/unit/members/test_service.py"]


def handlers():
    """``(service name, method name, entrypoint)`` of every event handler of the services."""
    found = []
    for service in CONSUMING_SERVICES:
        for name in dir(service):
            for entrypoint in getattr(getattr(service, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, ReliableEventHandler):
                    found.append((service.name, name, entrypoint))
    return found


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """``{event type: [payload with its envelope, ...]}`` as the publishers' use cases gave them."""
    captured = tmp_path_factory.mktemp("contracts") / "outbox.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *PUBLISHING_TESTS, "-q", "-x", "-p", "tests.contract_capture",
         "-p", "no:cacheprovider"],
        cwd=ROOT, env=dict(os.environ, CAPTURE_OUTBOX=str(captured)), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    payloads = {}
    for line in captured.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        payloads.setdefault(record["event_type"], []).append(record["payload"])
    return payloads


def test_every_event_type_is_published_by_its_real_use_case_and_fits_every_consumers_loader(published):
    assert sorted(published) == sorted(contracts.CONTRACTS)
    loaded = 0
    for _service, _method, entrypoint in handlers():
        for payload in published[entrypoint.event_type]:
            assert entrypoint.load(payload) == payload  # handed to the handler as it came
            loaded += 1
    assert loaded > 500


# What a publisher could put in place of a value by mistake: each type a JSON value can have, with
# texts that are and are not moments, days, vocabulary words and IČOs.
ODD_VALUES = [None, True, False, 0, -1, 2**70, 1.0, 1.5, "", "x", "300", "2026-12-08", "2026-02-30",
              "2026-12-08T09:00:00+01:00", "2026-12-08T09:00:00", "confirmed", "invoice", "00064581",
              "0006458", [], [1], [None], ["x"], [{}], {}, {"a": 1}, {"x": [1]}, {"x": None}]


def _broken(value):
    """``value`` with one part, at any depth, removed or replaced by each of ``ODD_VALUES``."""
    if isinstance(value, dict):
        for key, part in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for odd in [*ODD_VALUES, *_broken(part)]:
                yield {**value, key: odd}
    elif isinstance(value, list):
        for index, part in enumerate(value[:2]):
            for odd in [*ODD_VALUES, *_broken(part)]:
                yield [*value[:index], odd, *value[index + 1:]]


def _loads(event_type, payload):
    try:
        contracts.schema(event_type).load(payload)
    except contracts.ValidationError:
        return False
    return True


def test_the_quick_check_of_a_contract_says_what_marshmallow_says(published):
    """``check`` skips marshmallow for a payload its predicate accepts: the predicate must accept
    every real payload and nothing marshmallow refuses; here, none of a payload's variants with one
    part removed or changed is judged differently."""
    compared = 0
    for event_type, payloads in published.items():
        fits = contracts._fits[event_type]
        assert fits is not None, f"{event_type}: checked by marshmallow alone"
        assert all(fits(payload) for payload in payloads), event_type
        richest = max(payloads, key=lambda payload: len(json.dumps(payload)))
        for variant in _broken(richest):
            assert fits(variant) == _loads(event_type, variant), (event_type, variant)
            compared += 1
    assert compared > 40_000, compared


def test_a_payload_the_quick_check_refuses_gets_marshmallows_complaint():
    registration = {"id": 1, "first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.example",
                    "price": True, "is_member": True}
    event = {"id": 7, "title": "Odpady v obci", "venue": "Plzeň", "starts_at": NOW.isoformat(),
             "ends_at": "2026-12-08T09:00:00", "version": 1}
    with pytest.raises(contracts.ContractViolation) as refused:
        contracts.check("registration_confirmed", {"message_id": "m", "registration": registration, "event": event})
    assert refused.value.problems == {"registration": {"price": ["Not a valid integer."]},
                                      "event": {"ends_at": ["Not an ISO 8601 date and time with an offset."]}}


def test_every_handler_has_the_contract_of_its_event_naming_its_publisher_and_it_as_a_consumer():
    declared = {}
    for service, _method, entrypoint in handlers():
        contract = contracts.CONTRACTS[entrypoint.event_type]
        assert contract.publisher == entrypoint.source_service, entrypoint.event_type
        declared.setdefault(entrypoint.event_type, set()).add(service)
    assert {event_type: set(contract.consumers) for event_type, contract in contracts.CONTRACTS.items()} == declared


def _event_types_named(node, tables=None):
    """The event types an argument names: a text, either branch of ``a if c else b``, each value
    of a module's table looked up (``PLACED_EVENT[status]``, ``tables``: the module's dicts of
    texts by name), or each possible value of ``f"registration_{row['status']}"`` (a new
    registration's statuses)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _event_types_named(node.body, tables) | _event_types_named(node.orelse, tables)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in (tables or {}):
        return set(tables[node.value.id])
    if isinstance(node, ast.JoinedStr):
        prefix = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
        return {prefix + status for status in ("confirmed", "waitlisted")}
    return set()


def published_in_the_code():
    """Every event type a service names where it publishes: ``outbox.add(conn, TYPE, ...)``,
    ``uow.announce(TYPE, ...)``, ``outbox.add_many(conn, [(TYPE, ...)])`` (built in a list of
    pairs), and the services' own ``_announce(..., TYPE, ...)`` helpers, whose event type is their
    third argument, or their second after a unit of work (``_announce(uow, TYPE, ...)``). Types
    computed elsewhere (``kind``, ``domain.membership_event``) are met in the run above."""
    found = {}
    for path in sorted((ROOT / "services").glob("*/*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        tables = {statement.targets[0].id: [value.value for value in statement.value.values]
                  for statement in module.body
                  if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict)
                  and isinstance(statement.targets[0], ast.Name)
                  and all(isinstance(value, ast.Constant) and isinstance(value.value, str)
                          for value in statement.value.values)}
        for node in ast.walk(module):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            argument = None
            if name == "add" and isinstance(node.func, ast.Attribute) and "outbox" in ast.unparse(node.func.value):
                argument = node.args[1] if len(node.args) > 1 else None
            elif name == "announce" and isinstance(node.func, ast.Attribute) and "uow" in ast.unparse(node.func.value):
                argument = node.args[0] if node.args else None
            elif name == "_announce":
                at = 1 if node.args and ast.unparse(node.args[0]) == "uow" else 2
                argument = node.args[at] if len(node.args) > at else None
            elif name == "append" and node.args and isinstance(node.args[0], ast.Tuple) \
                    and "announced" in ast.unparse(node.func):
                argument = node.args[0].elts[0]
            for event_type in _event_types_named(argument, tables):
                found.setdefault(event_type, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_event_type_published_in_the_code_has_a_contract():
    found = published_in_the_code()
    assert {"registration_confirmed", "registration_waitlisted", "payment_requested", "invoice_issued",
            "attendees_messaged", "registration_substituted", "refund_due"} <= set(found)  # the scan sees them
    assert set(found) - set(contracts.CONTRACTS) == set(), found


def test_a_payload_missing_a_field_a_consumer_reads_is_refused_at_publish_and_nothing_is_written(make_database):
    database = make_database("registrations", store.metadata)
    outbox = Outbox(store.outbox, wake=lambda: None)
    registration = {"id": 1, "status": "confirmed", "first_name": "Jana", "last_name": "Nováková",
                    "email": "jana@obec.example", "price": 0, "is_member": True}
    event = {"id": 7, "title": "Odpady v obci", "venue": "Plzeň", "starts_at": NOW.isoformat(),
             "ends_at": NOW.isoformat(), "version": 1}
    good = {"registration": registration, "event": event}
    without_email = {"registration": {k: v for k, v in registration.items() if k != "email"}, "event": event}
    price_as_text = {"registration": dict(registration, price="300"), "event": event}
    for kind, payload, complaint in [
            ("registration_confirmed", without_email, "email"),
            ("registration_confirmed", price_as_text, "price"),
            ("event_cancelled", good, "reason"),
            ("registration_confirmd", good, "no contract")]:
        with pytest.raises(contracts.ContractViolation, match=complaint):
            with database.transaction() as session:
                outbox.add_many(session, [("registration_confirmed", good), (kind, payload)])
    with database.transaction() as session:
        assert session.execute(store.outbox.select()).all() == []
        outbox.add(session, "registration_confirmed", good)  # the same, fitting, is written
    with database.transaction() as session:
        assert len(session.execute(store.outbox.select()).all()) == 1


def test_the_architecture_page_lists_every_contract_as_declared():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = page.split("## Event contracts", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"^\| `\w+` \|", line)]
    assert rows == [contract_row(event_type) for event_type in contracts.CONTRACTS]


def contract_row(event_type):
    """The contracts table's row of ``event_type``, as docs/architecture.md must show it."""
    contract = contracts.CONTRACTS[event_type]
    fields = ", ".join(f"`{name}`" for name in contracts.required_fields(event_type)
                       if name not in ("message_id", "event_type", "occurred_at"))
    return (f"| `{event_type}` | {contract.publisher} | {', '.join(contract.consumers)} | {fields} | "
            f"{contracts.GUARANTEE} |")


if __name__ == "__main__":  # prints the table for docs/architecture.md
    print("| event | publisher | consumers | fields consumers rely on | guarantee |\n|---|---|---|---|---|")
    print("\n".join(contract_row(event_type) for event_type in contracts.CONTRACTS))
