"""mypy, as `make lint` runs it (pyproject.toml's [tool.mypy]), refuses a wrong field type.

Each case is a few lines of code calling the checked modules (a domain function, a domain
record's field, an error, a contract, the vocabulary), written twice to files: once with the right
value, which must pass, and once with a wrong one, which must be refused on its line with the
error code given. So a failure is the type's and not a broken import or configuration, and
loosening the settings of the checked modules (an untyped `domain.py` again) fails here.

All snippets are checked in one mypy run (its API, in this process) with a cache of its own under
the test's temporary directory, seeded with a copy of `make lint`'s `.cache/mypy` when there is one
(which is never written here).
"""
import pathlib
import re
import shutil

import pytest
from mypy import api

ROOT = pathlib.Path(__file__).resolve().parents[2]

# name: (code with {value} on its last line, the right value, a wrong value, mypy's error code)
CASES = {
    # a domain function given a number for a text
    "domain_argument": ("from services.registrations.domain import email_key\n"
                        "email_key({value})\n", '"Jana@Obec.cz"', "42", "arg-type"),
    # a membership period whose first day is a text, not a date (members' ``Period``)
    "period_field": ("from datetime import date\n"
                     "from services.members.domain import join\n"
                     'join([{{"from": {value}, "to": None}}], date(2026, 1, 1))\n',
                     "date(2020, 1, 1)", '"2020-01-01"', "typeddict-item"),
    # a placed registration whose queue number is a text (registrations' ``Placed``)
    "dataclass_field": ("from services.common.vocabulary import RegistrationStatus\n"
                        "from services.registrations.domain import Placed\n"
                        "Placed(person={{}}, status=RegistrationStatus.WAITLISTED, answers=None,\n"
                        "       waitlist_position={value}, place=None, event={{}})\n", "3", '"3"', "arg-type"),
    # the account's bank code read as a number (payments' ``BankAccount``)
    "typeddict_read": ("from services.payments.domain import bank_account\n"
                       "code: {value} = bank_account('CZ6508000000192000145399')['bank_code']\n",
                       "str", "int", "assignment"),
    # an email kind given as a bare text rather than the vocabulary's enum
    "vocabulary": ("from services.common.vocabulary import EmailKind\n"
                   "from services.notifications.domain import dedup_key\n"
                   'dedup_key({value}, {{"registration": {{"id": 1}}, "event": {{"version": 1}}}})\n',
                   "EmailKind.REGISTRATION_CONFIRMED", '"registration_confirmed"', "arg-type"),
    # a refusal whose Czech message is not a text
    "error_field": ("from services.common.errors import ValidationError\n"
                    'ValidationError({{"email": "Chybí."}}, message={value})\n', '"Opravte to."', "None",
                    "arg-type"),
    # an event's type named by a number: the contracts are keyed by text
    "contract_key": ("from services.common import contracts\n"
                     "contracts.required_fields({value})\n", '"registration_confirmed"', "1", "arg-type"),
    # an amount in haléře given as a text
    "money": ("from services.common.czech import money\n"
              "text: str = money({value})\n", "90000", '"900 Kč"', "arg-type"),
}
ERROR = re.compile(r"^(?P<file>[^:\s]+\.py):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory):
    """Every snippet written and checked in one run: file name -> [(line, error code)]."""
    folder = tmp_path_factory.mktemp("typing")
    cache = folder / "mypy-cache"
    if (ROOT / ".cache" / "mypy").is_dir():  # `make lint` ran: start from its cache, a copy (seconds saved)
        shutil.copytree(ROOT / ".cache" / "mypy", cache)
    files = []
    for name, (template, right, wrong, _) in CASES.items():
        for kind, value in (("right", right), ("wrong", wrong)):
            snippet = folder / f"{name}_{kind}.py"
            snippet.write_text(template.format(value=value), encoding="utf-8")
            files.append(str(snippet))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)  # the services package is found from the project's root, as `make lint` runs
        stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                          "--cache-dir", str(cache), *files])
    assert status in (0, 1) and not stderr, stdout + stderr
    errors: dict[str, list[tuple[int, str]]] = {}
    for line in stdout.splitlines():
        found = ERROR.match(line)
        if found:
            errors.setdefault(found["file"], []).append((int(found["line"]), found["code"]))
    return {pathlib.Path(file).name if file.startswith(str(folder)) else file: found
            for file, found in errors.items()}, stdout


def test_the_checked_modules_the_snippets_import_pass_as_make_lint_checks_them(mypy_errors):
    errors, output = mypy_errors
    assert [file for file in errors if not file.endswith(("_right.py", "_wrong.py"))] == [], output


@pytest.mark.parametrize("case", sorted(CASES))
def test_mypy_refuses_a_wrong_type_and_passes_the_right_one(mypy_errors, case):
    errors, output = mypy_errors
    template, _, _, code = CASES[case]
    assert errors.get(f"{case}_right.py") is None, output
    last_line = template.count("\n")
    assert (last_line, code) in errors.get(f"{case}_wrong.py", []), output
