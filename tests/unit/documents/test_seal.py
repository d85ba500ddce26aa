"""The electronic seal on certificates and the register behind their public verification: a
certificate sealed by the documents service (its render pool, a seal of the tests' own authority)
validates in pyHanko and in poppler's pdfsig, and one changed afterwards validates in neither."""
import io
import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory

from services.common.errors import NotFound
from services.documents import domain, seal, store, texts
from services.documents.pool import Renderer
from services.documents.service import DocumentsService
from tests import seals
from tests.helpers import pdf_text, qr_codes
from tests.unit.documents.test_sheets_and_certificates import NOW, Registrations, check_pdf, pdf, person
from tools import sample_seal

BASE = "https://seminare.smopk.example"
ISSUED = {"attended_at": NOW.isoformat(), "certificate_sent_at": NOW.isoformat()}


@pytest.fixture
def authority(tmp_path):
    return seals.make_seal(str(tmp_path))


@pytest.fixture
def documents(executor, make_database, authority):
    def make(people, sealed=True, now=NOW):
        key = seal.SealKey(authority.p12, authority.password) if sealed else None
        return worker_factory(DocumentsService, renderer=Renderer(executor, seal=key),
                              registrations=Registrations(people), db=make_database("documents", store.metadata),
                              clock=lambda: now, config={"ORGANISER_NAME": "Sdružení měst a obcí Plzeňského kraje",
                                                         "PUBLIC_BASE_URL": BASE})
    return make


def test_a_sealed_certificate_validates_in_pyhanko_and_in_pdfsig(documents, authority, tmp_path):
    service = documents([person(1, "Šťastný", **ISSUED)])
    data = pdf(service.render_certificate(1))
    check_pdf(data, tmp_path)

    verdict = seals.pyhanko_verdict(data, authority)
    assert verdict["bottom_line"] and verdict["intact"] and verdict["valid"] and verdict["trusted"]
    assert verdict["coverage"] == "ENTIRE_FILE" and verdict["modification_level"] == "NONE"
    assert verdict["subfilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert "Sdružení měst a obcí Plzeňského kraje – pečeť" in verdict["signer"]
    report = seals.pdfsig_report(data, authority)
    for said in ("Signature is Valid.", "Certificate is Trusted.", "Total document signed",
                 "Signature Type: ETSI.CAdES.detached"):
        assert said in report, report

    # the QR code and the short address lead to the certificate's verification page
    assert qr_codes(data) == [f"{BASE}/overeni/2026/0001"]
    text = " ".join(pdf_text(data).split())
    assert f"{BASE}/overeni/2026/0001" in text and "opatřena elektronickou pečetí" in text
    assert service.seal_status()["configured"] and not service.seal_status()["sample"]


def _with_a_byte_changed(data: bytes) -> bytes:
    """The producer's name in the document information, inside the range the seal covers."""
    at = data.index(b"WeasyPrint")
    return data[:at] + b"V" + data[at + 1:]


def _with_an_update_drawn_over(data: bytes) -> bytes:
    """An incremental update that paints a box over the first page, as an editor's save would."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    box = generic.StreamObject(stream_data=b"q 1 1 1 rg 60 400 480 120 re f Q")
    writer.add_stream_to_page(0, writer.add_object(box))
    changed = io.BytesIO()
    writer.write(changed)
    return changed.getvalue()


@pytest.mark.parametrize("change", [_with_a_byte_changed, _with_an_update_drawn_over])
def test_a_certificate_changed_after_sealing_fails_validation_in_both(documents, authority, change):
    sealed = pdf(documents([person(1, "Šťastný", **ISSUED)]).render_certificate(1))
    changed = change(sealed)
    assert changed != sealed

    verdict = seals.pyhanko_verdict(changed, authority)
    assert not verdict["bottom_line"], verdict
    report = seals.pdfsig_report(changed, authority)
    if change is _with_a_byte_changed:
        assert not verdict["intact"]
        assert "Signature is Valid." not in report and "Digest Mismatch" in report, report
    else:  # the signed revision is intact, but the file has changed since: both say so
        assert verdict["intact"] and not verdict["docmdp_ok"] and verdict["coverage"] != "ENTIRE_FILE"
        assert "Not total document signed" in report and "Total document signed" not in report, report


def test_without_a_seal_certificates_are_issued_unsealed_and_say_nothing_of_one(documents):
    service = documents([person(1, "Šťastný", **ISSUED)], sealed=False)
    data = pdf(service.render_certificate(1))
    assert b"/ByteRange" not in data
    text = " ".join(pdf_text(data).split())
    assert f"{BASE}/overeni/2026/0001" in text and "pečetí" not in text
    assert service.seal_status() == {"configured": False}


def test_a_seal_that_cannot_be_opened_is_refused(authority, tmp_path):
    with pytest.raises(seal.SealUnusable, match="does not open"):
        seal.describe(seal.SealKey(authority.p12, "jiné heslo"))
    with pytest.raises(seal.SealUnusable, match="cannot be read"):
        seal.describe(seal.SealKey(str(tmp_path / "chybi.p12"), "heslo"))


def test_the_sample_seal_of_make_run_is_marked_and_seals(tmp_path, executor):
    path, password = sample_seal.ensure(str(tmp_path), "Sdružení měst a obcí Plzeňského kraje")
    assert (tmp_path / "var" / "sample-seal.p12").stat().st_mode & 0o777 == 0o600
    assert sample_seal.ensure(str(tmp_path), "jiné") == (path, password)  # made once
    key = seal.SealKey(path, password)
    described = seal.describe(key)
    assert described["sample"] and "VZOREK" in described["subject"]
    (tmp_path / "vzorek.pdf").write_bytes(Renderer(executor, seal=key).pdf("certificate.html", _context(),
                                                                          sealed=True))
    report = subprocess.run(["pdfsig", str(tmp_path / "vzorek.pdf")], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "VZOREK" in report  # valid, by an issuer nobody trusts


def _context():
    event = {"title": "Zkouška", "venue": "Plzeň", "lecturer": None, "starts_at": "2026-12-08T09:00:00+01:00",
             "accreditation_number": "AK/1", "hours": 2, "collects_birth_date": False}
    return {"registration": {"first_name": "Jana", "last_name": "Nová"}, "event": event, "number": "2026/0001",
            "duplicate": False, "duplicate_on": None, "issued_at": NOW, "held_on": domain.held_on(event),
            "verify_url": f"{BASE}/overeni/2026/0001", "verify_qr": "", "sealed": True, "organiser": "SMOPK",
            "wording": texts.segments(texts.default_body(), {})}


def test_the_register_answers_the_verification_page(documents):
    people = [person(1, "Šťastná", first_name="Jana Marie", **ISSUED), person(2, "Řezáč", **ISSUED)]
    service = documents(people, sealed=False)
    service.render_certificate(1)
    service.render_certificate(2)
    seen = service.verify_certificate("2026/0001")
    assert seen == {"number": "2026/0001", "valid": True, "issued_on": "2026-11-27", "duplicate_issued_on": None,
                    "programme": "Stavební zákon pro obce", "accreditation_number": "AK/PV-77/2026",
                    "held_on": "8. 12. 2026", "hours": 6, "holder_known": True, "holder_initials": "J. M. Š.",
                    "name_checked": False, "name_matches": None}
    for typed in ("Jana Marie Šťastná", "  jana  marie   ŠŤASTNÁ ", "Šťastná Jana Marie",
                  unicodedata.normalize("NFD", "Jana Marie Šťastná")):  # as some keyboards send it
        assert service.verify_certificate("2026/0001", typed)["name_matches"], typed
    for typed in ("Jana Marie Stastna", "Jana Šťastná", "Bohumil Řezáč", ""):
        assert service.verify_certificate("2026/0001", typed)["name_matches"] is False, typed
    assert service.verify_certificate("2026/2")["holder_initials"] == "J. Ř."

    with pytest.raises(NotFound) as unknown:
        service.verify_certificate("2026/0003")
    assert unknown.value.code == "certificate_not_found" and "jsme nevydali" in unknown.value.message
    with pytest.raises(NotFound):
        service.verify_certificate("nic")

    # a person's erasure, then the retention: the number stays, the name goes
    assert service.erase_holders([1]) == {"holders_erased": 1}
    erased = service.verify_certificate("2026/0001", "Jana Marie Šťastná")
    assert (erased["holder_known"], erased["holder_initials"], erased["name_matches"]) == (False, None, False)
    assert erased["programme"] == "Stavební zákon pro obce"
    assert service.render_certificate(1)["number"] == "2026/0001"  # opened again: not filled again
    assert service.verify_certificate("2026/0001")["holder_known"] is False


def test_the_register_forgets_holders_after_the_years_it_keeps_them(documents):
    people = [person(1, "Šťastná", **ISSUED)]
    documents(people, sealed=False).render_certificate(1)
    years = 10  # CERTIFICATES_KEEP_YEARS's default
    documents(people, sealed=False, now=NOW + timedelta(days=365 * years - 1)).forget_old_holders()
    later = documents(people, sealed=False, now=NOW + timedelta(days=365 * years + 1))
    assert later.verify_certificate("2026/0001")["holder_known"] is True
    later.forget_old_holders()
    assert later.verify_certificate("2026/0001")["holder_known"] is False
    later.forget_old_holders()  # again: nothing more to do


def test_a_certificate_issued_before_the_register_kept_entries_gets_one_when_opened(documents):
    service = documents([person(1, "Šťastná", **ISSUED)], sealed=False)
    with service.db.transaction() as tx:  # as issued before: a number and nothing else
        store.add_certificate(tx, 1, 2026, store.next_number(tx, 2026), NOW)
    assert service.verify_certificate("2026/0001")["programme"] is None
    service.render_certificate(1)
    assert service.verify_certificate("2026/0001")["holder_initials"] == "J. Š."


def test_initials_and_the_date_as_the_certificate_states_them():
    assert domain.initials("Jana", "Nováková-Svobodová") == "J. N.-S."
    assert domain.held_on({"starts_at": datetime(2026, 12, 8, 8, 0, tzinfo=UTC)}) == "8. 12. 2026"
    sessions = [{"starts_at": "2027-03-03T09:00:00+01:00", "ends_at": "2027-03-03T15:00:00+01:00"},
                {"starts_at": "2027-03-17T09:00:00+01:00", "ends_at": "2027-03-17T15:00:00+01:00"}]
    assert domain.held_on({"sessions": sessions}) == "3. 3. – 17. 3. 2027 (3. 3. 2027, 17. 3. 2027)"
