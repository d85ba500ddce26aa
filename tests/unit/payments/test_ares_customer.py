"""A non-member's invoice names the organisation as ARES has it (through members' lookup), and
falls back to what the person typed when ARES is away or does not know the IČO."""
from tests.unit.payments.test_payments import confirm

PRAHA = {"ico": "00064581", "status": "found", "source": "ares", "name": "Hlavní město Praha",
         "address": "Mariánské náměstí 2/2, Staré Město, 110 00 Praha 1", "dic": "CZ00064581", "district": None,
         "kind": "obec", "is_member": False, "fetched_at": "2026-11-27T10:00:00+00:00", "message": None}


def test_an_organisation_outside_the_register_is_invoiced_with_its_ares_address_and_dic(payments):
    payments.members.lookup_organisation.side_effect = lambda ico: dict(PRAHA) if ico == PRAHA["ico"] else None
    confirm(payments, 31, ico="00064581")
    [issued] = payments.recorded("invoice_issued")
    assert issued["invoice"]["customer"] == {"name": "Hlavní město Praha", "address": PRAHA["address"],
                                             "ico": "00064581", "dic": "CZ00064581", "email": None}
    payments.members.lookup_organisation.assert_called_with("00064581")


def test_ares_away_or_not_knowing_the_ico_invoices_what_was_typed(payments):
    for registration_id, status in ((32, "unavailable"), (33, "not_found")):
        payments.members.lookup_organisation.side_effect = lambda ico, status=status: {
            "ico": ico, "status": status, "source": None, "name": None, "address": None, "dic": None,
            "message": "Registr ARES neodpověděl včas."}
        confirm(payments, registration_id, ico="00064581")
    customers = [issued["invoice"]["customer"] for issued in payments.recorded("invoice_issued")]
    assert customers == [{"name": "Obec Dolní Lhota", "address": None, "ico": "00064581", "dic": None,
                          "email": None}] * 2
