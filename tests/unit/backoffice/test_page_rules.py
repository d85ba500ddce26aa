"""What the console's pages read from the browser (``forms``) and decide before they call another
service (``domain``), without a browser or a service; and the login's two transactions (``usecases``)."""
import io
from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from services.backoffice import domain, forms, store, usecases
from services.common.errors import NotFound, ValidationError
from services.common.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_a_variable_symbol_has_one_to_ten_digits_and_a_note_is_one_line():
    assert forms.variable_symbol(MultiDict({"vs": " 1000000012 "})) == "1000000012"
    for typed in ("12x", "", "12345678901"):
        with pytest.raises(ValidationError) as refused:
            forms.variable_symbol(MultiDict({"vs": typed}))
        assert refused.value.fields == {"variable_symbol": "Variabilní symbol má 1 až 10 číslic."}
    assert forms.resolution_note(MultiDict({"poznamka": " vráceno\n  převodem "})) == "vráceno převodem"
    with pytest.raises(ValidationError):
        forms.storno_reason(MultiDict({"duvod": "  \n "}))
    assert forms.refund_note(MultiDict()) == "Vráceno převodem"


def test_the_payments_received_filter_reads_czech_days_and_keeps_to_the_first_page():
    assert forms.received_filter(MultiDict({"od": "5. 1. 2027", "do": "2027-01-31", "strana": "3"})) == (
        "2027-01-05", "2027-01-31", 3)
    assert forms.received_filter(MultiDict({"od": "loni", "strana": "-2"})) == (None, None, 1)
    assert domain.page_count(0, 50) == 1 and domain.page_count(101, 50) == 3


def test_the_registers_filter_keeps_only_what_it_knows():
    shown = forms.register_filter(MultiDict({"hledat": " Lhota ", "okres": "Atlantida", "clenstvi": "byvali",
                                             "strana": "x"}), ["Rokycany"])
    assert (shown.query, shown.district, shown.membership, shown.page) == ("Lhota", None, "byvali", 1)
    assert forms.register_filter(MultiDict({"okres": "Rokycany", "clenstvi": "nikdo"}), ["Rokycany"],
                                 query="00075370").query == "00075370"
    links = domain.register_links(shown, {"page": 2, "pages": 2})
    assert links == {"previous": "/clenove?hledat=Lhota&clenstvi=byvali&strana=1", "next": None}


def test_a_file_read_before_the_question_comes_back_whole_and_a_forged_one_is_none():
    text = "IČO;název\n00075370;Plzeň\n"
    assert forms.carried_back(MultiDict({"obsah": forms.carried(text)}), "obsah") == text
    assert forms.carried_back(MultiDict({"obsah": "not base64!"}), "obsah") is None


def test_an_upload_is_read_to_its_limit_and_one_byte_more():
    files = MultiDict({"soubor": FileStorage(io.BytesIO(b"x" * 11), filename="vypis.gpc")})
    upload = forms.upload(files, 10)
    assert (upload.filename, len(upload.data), upload.too_large) == ("vypis.gpc", 11, True)
    assert forms.upload(MultiDict(), 10) == forms.Upload("", b"", False)
    assert forms.ids(MultiDict([("attended", "3"), ("attended", "x"), ("attended", "1")]), "attended") == [3, 1]
    assert forms.chosen_id(MultiDict({"material_id": "7"}), "material_id") == 7
    assert forms.chosen_id(MultiDict(), "material_id") is None


def test_a_record_search_goes_straight_to_a_record_for_an_ico_or_an_email():
    chosen = forms.record_search(MultiDict({"organizace": "Obec Chotěšov (00256901)", "rok": "2026"}))
    assert domain.record_address(chosen) == "/vzdelavani/00256901?rok=2026"
    assert domain.record_address(forms.record_search(MultiDict({"osoba": "jana@obec.cz"}))) == \
        "/vzdelavani/osoba?email=jana%40obec.cz"
    assert domain.record_address(forms.record_search(MultiDict({"organizace": "Chotěšov"}))) is None


def test_a_symbol_pays_its_own_request_or_those_on_its_live_invoice():
    unpaid = [{"variable_symbol": "1000000001", "invoices": [], "payer_name": "Jana"},
              {"variable_symbol": "1000000002", "invoices": ["FV-2026-0001"], "payer_name": "Eva"},
              {"variable_symbol": "1000000003", "invoices": ["FV-2026-0002"], "payer_name": "Petra"}]
    invoices = [{"number": "FV-2026-0001", "kind": "invoice", "cancelled": False, "variable_symbol": "2026000001"},
                {"number": "FV-2026-0002", "kind": "invoice", "cancelled": True, "variable_symbol": "2026000002"}]
    assert domain.owed_by_symbol(unpaid, "1000000001") == [unpaid[0]]
    assert domain.owed_by_invoice(unpaid, invoices, "2026000001") == [unpaid[1]]
    assert domain.owed_by_invoice(unpaid, invoices, "2026000002") == []  # a cancelled invoice pays nothing
    with pytest.raises(NotFound):
        domain.invoice_numbered(invoices, "DN-2026-0001")


def test_a_message_goes_to_its_audience_and_is_previewed_for_the_first_confirmed_by_name():
    people = [{"id": 1, "status": "waitlisted", "first_name": "Adam", "last_name": "Adámek", "email": "a@obec.cz"},
              {"id": 2, "status": "confirmed", "first_name": "Jana", "last_name": "Nováková", "email": "j@obec.cz"},
              {"id": 3, "status": "cancelled", "first_name": "Eva", "last_name": "Malá", "email": "e@obec.cz"}]
    post = forms.attendee_message(MultiDict({"subject": "Parkování", "text": "Dobrý den,\nparkujte vzadu.",
                                             "audience": "nesmysl"}))
    assert post.audience == "all" and post.greeting == "Dobrý den," and post.errors == {}
    chosen = domain.audience_of(people, post.audience)
    assert [r["id"] for r in chosen] == [1, 2]
    sample, said = domain.attendee_message_preview(post, {"id": 5}, chosen)
    assert sample["registration"]["id"] == 2 and sample["text"] == "parkujte vzadu."
    assert said[0] == "Dostanou ji (všem přihlášeným (potvrzení i čekací listina)): Adam Adámek, Jana Nováková."
    assert "„Dobrý den,“ jsme vynechali" in said[2]


@pytest.fixture
def db(make_database):
    return make_database("backoffice", store.metadata)


def test_a_login_is_audited_and_a_throttled_one_recorded_in_its_own_transaction(db):
    with db.transaction() as tx:
        usecases.create_account(UnitOfWork(tx, NOW), "jana@smopk.example", "Jana", "staff",
                                password="Dlouhé heslo pro test 2026")
    assert usecases.sign_in(db, lambda: NOW, "jana@smopk.example", "Dlouhé heslo pro test 2026", "10.0.0.1")
    for _ in range(domain.FAILURES_ALLOWED):
        with pytest.raises(usecases.LoginRefused):
            usecases.sign_in(db, lambda: NOW, "jana@smopk.example", "hádám", "10.0.0.1")
    with pytest.raises(usecases.TooManyAttempts):
        usecases.sign_in(db, lambda: NOW, "jana@smopk.example", "Dlouhé heslo pro test 2026", "10.0.0.1")
    with db.transaction() as tx:
        reasons = [(e["action"], e["details"].get("reason")) for e in reversed(store.list_audit(tx, limit=100))]
    assert reasons == [("logged_in", None)] + [("login_failed", "wrong_password")] * domain.FAILURES_ALLOWED + [
        ("login_failed", "throttled")]
