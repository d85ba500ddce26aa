"""mypy, as `make lint` runs it (pyproject.toml's [tool.mypy]), refuses a wrong field type.

Each case is a few lines of code calling the checked modules, written to a file and checked
with the project's configuration; the same lines with the right type pass, so a failure is the
type's and not a broken import or configuration.
"""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

CASES = {
    # a domain function given a number for a text
    "domain_argument": ("from services.registrations.domain import email_key\n"
                        "email_key({value})\n", '"Jana@Obec.cz"', "42"),
    # a refusal whose Czech message is not a text
    "error_field": ("from services.common.errors import ValidationError\n"
                    'ValidationError({{"email": "Chybí."}}, message={value})\n', '"Opravte to."', "None"),
    # an event's type named by a number: the contracts are keyed by text
    "contract_key": ("from services.common import contracts\n"
                     "contracts.required_fields({value})\n", '"registration_confirmed"', "1"),
    # an amount in haléře given as a text
    "money": ("from services.common.czech import money\n"
              "text: str = money({value})\n", "90000", '"900 Kč"'),
}


def mypy(tmp_path, source):
    snippet = tmp_path / "snippet.py"
    snippet.write_text(source, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                           "--disallow-untyped-defs", str(snippet)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", sorted(CASES))
def test_mypy_refuses_a_wrong_type_and_passes_the_right_one(tmp_path, case):
    template, right, wrong = CASES[case]
    passed = mypy(tmp_path, template.format(value=right))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    refused = mypy(tmp_path, template.format(value=wrong))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "snippet.py:2: error:" in refused.stdout and "[arg-type]" in refused.stdout, refused.stdout
