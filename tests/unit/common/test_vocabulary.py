"""A vocabulary's member is its text wherever it goes: JSON, SQL, templates, logs."""
import json
from enum import StrEnum

import jinja2
import psycopg2.extensions
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, literal, select
from sqlalchemy.dialects import postgresql

from services.common import vocabulary
from services.common.vocabulary import EmailKind, RegistrationStatus

VOCABULARIES = [value for value in vars(vocabulary).values()
                if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum]


def test_a_member_is_its_text_in_comparisons_dicts_and_formatting():
    confirmed = RegistrationStatus.CONFIRMED
    assert confirmed == "confirmed" and "confirmed" == confirmed and confirmed in ("confirmed", "waitlisted")
    assert {"confirmed": 1}[confirmed] == 1 and {confirmed: 1}["confirmed"] == 1
    assert f"{confirmed}" == str(confirmed) == "%s" % confirmed == "confirmed"  # noqa: UP031 (as logs format)
    assert f"{EmailKind.ANNOUNCEMENT}:7" == "announcement:7"  # notifications' dedup keys


def test_json_carries_the_text():
    for member in (member for words in VOCABULARIES for member in words):
        assert json.dumps({member: member}) == json.dumps({member.value: member.value})
    assert json.loads(json.dumps(RegistrationStatus.CONFIRMED)) == "confirmed"


def test_a_template_shows_and_compares_the_text():
    template = jinja2.Environment(autoescape=True).from_string(
        '{{ status }} {{ "ano" if status == "confirmed" }} {{ counts.confirmed }}')
    assert template.render(status=RegistrationStatus.CONFIRMED,
                           counts={RegistrationStatus.CONFIRMED: 3}) == "confirmed ano 3"


def test_the_database_stores_and_finds_the_text():
    table = Table("registrations", MetaData(), Column("id", Integer, primary_key=True), Column("status", String(20)))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(table).values(id=1, status=RegistrationStatus.WAITLISTED))
        stored = connection.execute(select(table.c.status)).scalar_one()
        assert type(stored) is str and stored == "waitlisted"
        assert connection.execute(select(table.c.id).where(
            table.c.status.in_(vocabulary.LIVE))).scalar_one() == 1
        assert connection.execute(select(literal(RegistrationStatus.CANCELLED, String))).scalar_one() == "cancelled"
    query = select(table.c.id).where(table.c.status.notin_(vocabulary.NOT_LIVE))
    assert "NOT IN ('cancelled', 'substituted')" in str(
        query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert psycopg2.extensions.adapt(RegistrationStatus.CONFIRMED).getquoted() == b"'confirmed'"
