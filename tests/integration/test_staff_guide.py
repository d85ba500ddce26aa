"""Every recipe of docs/staff-guide.md, run in order against the running services,
printing what the guide says it prints (`…` stands for what differs from run to run)."""
import contextlib
import io
import os
import re
from datetime import UTC, datetime

from nameko.cli.shell import make_nameko_helper

from services.common.clock import Clock
from services.common.czech import PRAGUE
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService
from tests import statements
from tests.ares_standin import PRAHA, AresStandIn
from tests.conftest import ROOT, wait_for
from tools import sample_data

GUIDE = os.path.join(ROOT, "docs", "staff-guide.md")
BLOCK = re.compile(r"```python\n(.*?)```\n\n```text\n(.*?)```", re.S)


def recipes():
    """Every recipe; each ```python block must be followed by the ```text block it prints."""
    with open(GUIDE, encoding="utf-8") as guide:
        text = guide.read()
    found = BLOCK.findall(text)
    assert len(found) == text.count("```python") > 0
    fences = re.findall(r"^```(\w*)$", text, re.M)  # opened with a language, closed bare, in turn
    assert len(fences) % 2 == 0
    pairs = zip(fences[::2], fences[1::2], strict=True)
    assert all(bool(opening) and not closing for opening, closing in pairs), "a stray fence"
    return found


def _squeeze(text):
    """Column alignment aside: runs of spaces count as one, trailing ones not at all."""
    return "\n".join(re.sub(r"[ \t]+", " ", line).rstrip() for line in text.rstrip().splitlines())


def matches(expected, printed):
    parts = re.split("(…)", _squeeze(expected))
    pattern = "".join(".*?" if part == "…" else re.escape(part) for part in parts)
    return re.fullmatch(pattern, _squeeze(printed), re.S) is not None


def _prepare(code, namespace, folder):
    """What a recipe finds in real life: the payment requests made (they follow the registrations'
    events), and the bank statement the office downloaded, paying Jana's fee, with Petr's payment
    under a wrong symbol and the bank's own fee; the lecturer's slides."""
    payments = namespace["n"].rpc.payments
    if code.startswith("unpaid(akce"):
        wait_for(lambda: len(payments.unpaid(namespace["akce"]["id"])) == 3, message="three payment requests")
    if "vypis.xml" in code:
        jana = next(p for p in payments.unpaid(namespace["akce"]["id"]) if p["payer_name"] == "Jana Nováková")
        (folder / "vypis.xml").write_bytes(statements.camt053([
            {"amount_halere": 90000, "variable_symbol": jana["variable_symbol"], "counter_name": "Jana Nováková",
             "booked_on": "2026-11-27"},
            {"amount_halere": 90000, "variable_symbol": "123", "counter_name": "Petr Svoboda",
             "booked_on": "2026-11-27"},
            {"amount_halere": -2500, "counter_name": "Poplatek za vedení účtu", "booked_on": "2026-11-27"}]))
    if "prezentace-gdpr.pdf" in code:  # the lecturer's slides, as the office saved them from the email
        (folder / "prezentace-gdpr.pdf").write_bytes(b"%PDF-1.7\n% slides\n%%EOF\n")
    if code.startswith("refunds()"):
        wait_for(lambda: len(payments.refunds_due()) == 3, message="three refunds after the cancellation")


# The recipes about the training of 12. 4. 2028 run as if it were over (attendance from its start,
# certificates after its end): the clock of registrations and documents reads this meanwhile.
AFTER_THE_TRAINING = datetime(2028, 4, 12, 16, 0, tzinfo=PRAGUE).astimezone(UTC)
AFTER_THE_TRAINING_RECIPES = ('mark_attendance(skoleni["id"], prihlasky)', 'organisation_training_record("25704443"',
                              "annual_report(2028)", "ministry_report(2028")


def _time_machine(monkeypatch):
    """Returns ``set(code)``: the clock of registrations and documents for the recipe ``code``."""
    now = {"at": None}
    real = Clock.get_dependency

    def get_dependency(self, worker_ctx):
        if now["at"] is not None and self.container.service_name in ("registrations", "documents"):
            return lambda: now["at"]
        return real(self, worker_ctx)

    monkeypatch.setattr(Clock, "get_dependency", get_dependency)

    def set_for(code):
        now["at"] = AFTER_THE_TRAINING if any(marker in code for marker in AFTER_THE_TRAINING_RECIPES) else None
    return set_for


def test_every_recipe_prints_what_the_guide_says(runner_factory, service_config, tmp_path, monkeypatch):
    ares = AresStandIn(PRAHA)  # what ARES says of Prague, without the internet
    service_config = dict(service_config, ARES_URL=ares.url)
    runner = runner_factory(service_config, MembersService, RegistrationsService, NotificationsService,
                            DocumentsService, PaymentsService)
    runner.start()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clenove.csv").write_text(sample_data.register_csv(), encoding="utf-8")
    helper = make_nameko_helper(service_config)
    namespace = {"n": helper}
    with open(os.path.join(ROOT, "tools", "shell_startup.py"), encoding="utf-8") as startup:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(startup.read(), "shell_startup.py", "exec"), namespace)
    try:
        found = recipes()
        clock_for = _time_machine(monkeypatch)
        for code, expected in found:
            _prepare(code, namespace, tmp_path)
            clock_for(code)
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, GUIDE, "exec"), namespace)
            assert matches(expected, printed.getvalue()), f"{code}\nprinted:\n{printed.getvalue()}"
    finally:
        helper.disconnect()
        ares.stop()
