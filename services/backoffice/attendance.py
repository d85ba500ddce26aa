"""The console's pages for attendance and certificates: mark who came (from the start on, sending
nothing), take it back until a certificate is issued, issue the certificates after the event,
release one without payment, open a certificate, issue a duplicate.

Thin: the registrations service decides (``not_started``, ``certificate_issued``, ``not_ended``)
and the documents service renders; every action asks first, is audited, and says what it did.
"""
from services.common.errors import Conflict
from services.common.vocabulary import RegistrationStatus

from . import domain, forms
from .domain import StaffRole, names, of_people, to_attendees
from .web import confirmed, document_response, page


class AttendancePages:
    """Mixed into the console service (``staff``): it needs ``registrations``, ``documents``,
    ``clock``, ``_confirm``, ``_done`` and ``_audited`` from it."""

    @page("POST", "/akce/<int:event_id>/ucast", StaffRole.STAFF)
    def mark_attendance(self, request, event_id):
        """The ticked registrations attended: asked first, with their names; sends nothing."""
        back = f"/akce/{event_id}"
        ticks = forms.attendance_ticks(request.form)
        chosen = {registration_id for ticked in ticks.values() for registration_id in ticked}
        if not chosen:
            return self._done(request, back, "Nikdo nebyl zaškrtnutý: účast se nezměnila.")
        people = [r for r in self.registrations.list_registrations(event_id, RegistrationStatus.CONFIRMED)
                  if r["id"] in chosen]
        event = self.registrations.get_event(event_id)
        if not confirmed(request):
            return self._confirm(request, f"Potvrdit účast {of_people(len(people))}: {names(people)}?",
                                 domain.attendance_consequences(people, event), "Ano, potvrdit účast", back=back)
        sessions = [f"{index + 1}. termín: " + ", ".join(str(i) for i in ids)
                    for index, ids in sorted((i, ids) for i, ids in ticks.items() if i is not None)]
        with self._audited(request, "attendance_marked", {"event_id": event_id, "chosen": sorted(chosen),
                                                          **({"sessions": sessions} if sessions else {})}) as entry:
            marked_ids: list[int] = []
            for index, ticked in sorted(ticks.items(), key=lambda item: -1 if item[0] is None else item[0]):
                marked = self.registrations.mark_attendance(event_id, sorted(ticked),
                                                            None if index is None else [index])
                marked_ids += [i for i in marked["registration_ids"] if i not in marked_ids]
            entry.details["registration_ids"] = marked_ids
        return self._done(request, back, domain.attendance_marked(people, marked_ids))

    @page("POST", "/prihlasky/<int:registration_id>/ucast/zrusit", StaffRole.STAFF)
    def unmark_attendance(self, request, registration_id):
        """Attendance marked by mistake is taken back: until the certificate is issued."""
        registration = self.registrations.get_registration(registration_id)
        event_id, name = registration["event"]["id"], domain.full_name(registration)
        back = f"/akce/{event_id}"
        if not confirmed(request):
            return self._confirm(request, f"Zrušit potvrzenou účast: {name}?",
                                 domain.unmark_consequences(registration), "Ano, zrušit účast", back=back,
                                 danger=True)
        with self._audited(request, "attendance_unmarked", {"event_id": event_id, "registration_id": registration_id}):
            self.registrations.unmark_attendance(event_id, [registration_id])
        return self._done(request, back, f"Účast zrušena: {name}.")

    @page("POST", "/akce/<int:event_id>/osvedceni", StaffRole.STAFF)
    def issue_certificates(self, request, event_id):
        """After the event: the certificates go by email to those who attended and paid (or were
        released); asked first with the counts and the names of those waiting for payment."""
        back = f"/akce/{event_id}"
        plan = self.registrations.certificate_plan(event_id)
        if plan["refusal"]:
            raise Conflict("certificates_not_due", plan["refusal"])
        if not confirmed(request) and not plan["issue"]:
            return self._done(request, back, domain.nobody_to_certify(plan))
        if not confirmed(request):
            return self._confirm(request, f"Odeslat osvědčení {to_attendees(len(plan['issue']))}?",
                                 domain.certificates_consequences(plan),
                                 f"Ano, odeslat osvědčení ({len(plan['issue'])})", back=back)
        with self._audited(request, "certificates_issued", {"event_id": event_id}) as entry:
            done = self.registrations.issue_certificates(event_id)
            entry.details.update(issued=done["issued"], registration_ids=[p["id"] for p in done["issued_to"]],
                                 waiting_payment=[p["id"] for p in done["waiting"]])
        return self._done(request, back, domain.certificates_done(done))

    @page("POST", "/prihlasky/<int:registration_id>/osvedceni/uvolnit", StaffRole.STAFF)
    def release_certificate(self, request, registration_id):
        """An unpaid attendee's certificate goes without the payment: one explicit, audited decision."""
        registration = self.registrations.get_registration(registration_id)
        event, name = registration["event"], domain.full_name(registration)
        back = f"/akce/{event['id']}"
        if not confirmed(request):
            plan = self.registrations.certificate_plan(event["id"])
            return self._confirm(request, f"Uvolnit osvědčení bez platby: {name}?",
                                 domain.release_consequences(registration, plan), "Ano, uvolnit osvědčení", back=back)
        with self._audited(request, "certificate_released", {"registration_id": registration_id,
                                                             "event_id": event["id"]}):
            released = self.registrations.release_certificate(registration_id, request.account["email"])
        return self._done(request, back, f"Osvědčení uvolněno bez platby: {name}." + (
            " Osvědčení odešlo e-mailem." if released["certificate_issued_now"]
            else " Odejde s ostatními po vydání osvědčení."))

    @page("GET", "/prihlasky/<int:registration_id>/osvedceni.pdf", StaffRole.STAFF)
    def certificate(self, request, registration_id):
        """The certificate as it was issued (same number, not a duplicate); before it was issued,
        a page saying so."""
        with self._audited(request, "certificate_printed", {"registration_id": registration_id}) as entry:
            certificate = self.documents.render_certificate(registration_id)
            entry.details["number"] = certificate["number"]
        return document_response(certificate)

    @page("POST", "/prihlasky/<int:registration_id>/osvedceni/duplikat", StaffRole.STAFF)
    def certificate_duplicate(self, request, registration_id):
        """A duplicate (the person lost the certificate): asked first, recorded, then the PDF."""
        registration = self.registrations.get_registration(registration_id)
        name = domain.full_name(registration)
        if not confirmed(request):
            return self._confirm(request, f"Vystavit duplikát osvědčení: {name}?",
                                 ["Duplikát má stejné číslo a nese „DUPLIKÁT vydaný“ s dnešním datem.",
                                  "Zapíše se do evidence osvědčení. Nikomu se nic neposílá: PDF se otevře "
                                  "k vytištění."],
                                 "Ano, vystavit duplikát", back=f"/akce/{registration['event']['id']}")
        with self._audited(request, "certificate_duplicated", {"registration_id": registration_id}) as entry:
            duplicate = self.documents.render_duplicate_certificate(registration_id)
            entry.details["number"] = duplicate["number"]
        return document_response(duplicate)
