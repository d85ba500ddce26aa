"""Whom an automatic invoice names (issue 31): an organisation only when it is identified."""
from tests.unit.payments.conftest import payload


def test_a_non_member_who_typed_only_an_organisation_name_is_invoiced_in_their_own_name(payments):
    typed_only = payload(81, ico=None, first_name="Jana", last_name="Dvořáková", email="jana@novaves.example")
    typed_only["registration"]["organisation_name"] = "Obec Nová Ves u Testu"
    payments.on_registration_confirmed(typed_only)
    [issued] = payments.recorded("invoice_issued")
    assert issued["invoice"]["customer"] == {"name": "Jana Dvořáková", "address": None, "ico": None, "dic": None,
                                             "email": "jana@novaves.example"}
    assert issued["recipients"] == ["jana@novaves.example"]


def test_an_organisation_unknown_to_the_register_and_ares_is_invoiced_by_its_ico(payments):
    payments.members.lookup_organisation.return_value = {"status": "unavailable"}
    payments.on_registration_confirmed(payload(82, ico="25596641"))  # typed: "Obec Dolní Lhota"
    [issued] = payments.recorded("invoice_issued")
    assert (issued["invoice"]["customer"]["name"], issued["invoice"]["customer"]["ico"]) == (
        "Obec Dolní Lhota", "25596641")
