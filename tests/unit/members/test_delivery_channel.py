"""The organisation's preferred channel for invoices, credit notes and certificates: email by default."""
import pytest

from services.common.errors import NotFound, ValidationError
from tests.unit.members.test_service import PLZEN, members  # noqa: F401 (a fixture)


def test_email_is_the_default_and_staff_may_choose_the_data_box(members):  # noqa: F811
    assert members.upsert_organisation(PLZEN)["delivery_channel"] == "by_email"
    assert members.set_delivery_channel("00075370", "databox")["delivery_channel"] == "databox"
    assert members.get_organisation("00075370")["delivery_channel"] == "databox"
    # an upsert from the register (a CSV import, an edit) keeps the choice
    members.upsert_organisation(dict(PLZEN, phone="377 111 111"))
    assert members.get_organisation("00075370")["delivery_channel"] == "databox"
    members.set_delivery_channel("00075370", "by_email")
    assert members.get_organisation("00075370")["delivery_channel"] == "by_email"


def test_an_unknown_channel_or_organisation_is_refused_in_czech(members):  # noqa: F811
    members.upsert_organisation(PLZEN)
    with pytest.raises(ValidationError) as refused:
        members.set_delivery_channel("00075370", "fax")
    assert "způsob doručování" in str(refused.value.args)
    with pytest.raises(NotFound):
        members.set_delivery_channel("25701126", "databox")
    assert members.get_organisation("00075370")["delivery_channel"] == "by_email"
