"""Who may log in to the municipality's page: every contact with an email, until staff withdraw it."""
import pytest

from services.common.errors import NotFound
from tests.unit.members.test_service import PLZEN, members  # noqa: F401 (a fixture)

MAS = {"ico": "25701126", "name": "MAS Český les", "kind": "MAS", "district": "Domažlice"}


def test_a_contact_with_an_email_may_log_in_until_staff_withdraw_it(members):  # noqa: F811
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    mayor = members.add_contact("00075370", {"first_name": "Jana", "last_name": "Nováková",
                                             "email": "Jana.Novakova@plzen.example"})
    members.add_contact("00075370", {"first_name": "Petr", "last_name": "Bez Adresy"})
    assert mayor["portal_access"] is True
    assert members.portal_contact("  jana.novakova@PLZEN.example ") == {
        "ico": "00075370", "organisation_name": "Statutární město Plzeň", "contact_id": mayor["id"],
        "first_name": "Jana", "last_name": "Nováková"}
    assert members.portal_contact("nikdo@plzen.example") is None
    assert members.portal_contact("") is None and members.portal_contact(None) is None

    withdrawn = members.set_portal_access("00075370", mayor["id"], False)
    assert withdrawn["portal_access"] is False
    assert members.portal_contact("jana.novakova@plzen.example") is None
    assert [(c["last_name"], c["portal_access"]) for c in members.list_contacts("00075370")] == [
        ("Bez Adresy", True), ("Nováková", False)]
    members.set_portal_access("00075370", mayor["id"], True)
    assert members.portal_contact("jana.novakova@plzen.example")["contact_id"] == mayor["id"]


def test_an_address_at_two_organisations_logs_in_where_it_was_entered_first(members):  # noqa: F811
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.upsert_organisation(MAS)
    first = members.add_contact("25701126", {"first_name": "Eva", "last_name": "Malá", "email": "eva@obec.example"})
    second = members.add_contact("00075370", {"first_name": "Eva", "last_name": "Malá", "email": "eva@obec.example"})
    assert members.portal_contact("eva@obec.example")["ico"] == "25701126"
    members.set_portal_access("25701126", first["id"], False)
    assert members.portal_contact("eva@obec.example")["contact_id"] == second["id"]


def test_access_is_changed_only_at_the_contacts_own_organisation(members):  # noqa: F811
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.upsert_organisation(MAS)
    contact = members.add_contact("25701126", {"first_name": "Eva", "last_name": "Malá", "email": "eva@mas.example"})
    with pytest.raises(NotFound):
        members.set_portal_access("00075370", contact["id"], False)
    assert members.portal_contact("eva@mas.example")["contact_id"] == contact["id"]
