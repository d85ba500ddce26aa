"""The console's pages for attendance and certificates: mark who came (from the start on, sending
nothing), take it back until a certificate is issued, issue the certificates after the event,
release one without payment, open a certificate, issue a duplicate.

Thin: the registrations service decides (``not_started``, ``certificate_issued``, ``not_ended``)
and the documents service renders; every action asks first, is audited, and says what it did.
"""
from datetime import datetime

from services.common import czech
from services.common.czech import plural
from services.common.errors import Conflict
from services.common.vocabulary import RegistrationStatus

from . import domain
from .domain import StaffRole
from .web import confirmed, document_response, page


def names(people) -> str:
    """``Jana Nováková, Petr Malý`` (everyone: staff must see whom an action touches)."""
    return ", ".join(person["name"] if "name" in person else domain.full_name(person) for person in people)


def of_people(count) -> str:
    """``1 osoby``, ``3 osob`` (genitive: účast 3 osob)."""
    return plural(count, "osoby", "osob", "osob")


def to_attendees(count) -> str:
    """``1 účastníkovi``, ``3 účastníkům`` (dative: odeslat osvědčení 3 účastníkům)."""
    return plural(count, "účastníkovi", "účastníkům", "účastníkům")


def attendance_window(event, now) -> dict:
    """What the event page offers: attendance from the start, certificates after the end."""
    starts, ends = (datetime.fromisoformat(event[field]) for field in ("starts_at", "ends_at"))
    return {"started": now >= starts, "ended": now >= ends, "opens": czech.date_time(starts),
            "ends": czech.date_time(ends)}


class AttendancePages:
    """Mixed into the console service (``staff``): it needs ``registrations``, ``documents``,
    ``clock``, ``_confirm``, ``_done`` and ``_audited`` from it."""

    @page("POST", "/akce/<int:event_id>/ucast", StaffRole.STAFF)
    def mark_attendance(self, request, event_id):
        """The ticked registrations attended: asked first, with their names; sends nothing."""
        back = f"/akce/{event_id}"
        chosen = {int(value) for value in request.form.getlist("attended") if value.isdigit()}
        if not chosen:
            return self._done(request, back, "Nikdo nebyl zaškrtnutý: účast se nezměnila.")
        people = [r for r in self.registrations.list_registrations(event_id, RegistrationStatus.CONFIRMED)
                  if r["id"] in chosen]
        event = self.registrations.get_event(event_id)
        if not confirmed(request):
            said = [f"Účast se zapíše: {names(people)}." if people else "Zaškrtnuté přihlášky nejsou potvrzené."]
            said.append("Osvědčení se zatím neposílají: vydávají se po skončení akce tlačítkem „Vydat osvědčení“."
                        if event["accreditation_number"] else "Nikomu se nic neposílá; je to jen záznam.")
            said.append("Účast lze zrušit, dokud dotyčný nedostane osvědčení.")
            return self._confirm(request, f"Potvrdit účast {of_people(len(people))}: {names(people)}?", said,
                                 "Ano, potvrdit účast", back=back)
        with self._audited(request, "attendance_marked", {"event_id": event_id, "chosen": sorted(chosen)}) as entry:
            marked = self.registrations.mark_attendance(event_id, sorted(chosen))
            entry.details["registration_ids"] = marked["registration_ids"]
        done = [r for r in people if r["id"] in marked["registration_ids"]]
        message = (f"Účast potvrzena: {names(done)}. Nic se neposílalo." if done
                   else "Účast těchto lidí už byla potvrzená; nic se nezměnilo.")
        return self._done(request, back, message)

    @page("POST", "/prihlasky/<int:registration_id>/ucast/zrusit", StaffRole.STAFF)
    def unmark_attendance(self, request, registration_id):
        """Attendance marked by mistake is taken back: until the certificate is issued."""
        registration = self.registrations.get_registration(registration_id)
        event_id, name = registration["event"]["id"], domain.full_name(registration)
        back = f"/akce/{event_id}"
        if not confirmed(request):
            return self._confirm(request, f"Zrušit potvrzenou účast: {name}?",
                                 [f"Účast se smaže: {name} se nebude vést jako účastník akce "
                                  f"{registration['event']['title']}, nedostane osvědčení a akce se nezapočte "
                                  "do evidence vzdělávání.",
                                  "Nikomu se nic neposílá. Účast lze později potvrdit znovu."],
                                 "Ano, zrušit účast", back=back, danger=True)
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
        if not confirmed(request):
            if not plan["issue"]:
                waiting = f" Na zaplacení čeká: {names(plan['waiting_payment'])}." if plan["waiting_payment"] else ""
                return self._done(request, back, "Není komu vydat osvědčení." + waiting)
            said = [f"E-mail s osvědčením v PDF dostanou: {names(plan['issue'])}.",
                    "Každé osvědčení dostane své číslo v evidenci osvědčení; odeslané nelze vzít zpět."]
            if plan["waiting_payment"]:
                said.append(f"{plural(len(plan['waiting_payment']), 'čeká', 'čekají', 'čeká')} na zaplacení: "
                            f"{names(plan['waiting_payment'])}. Osvědčení dostanou automaticky, jakmile zaplatí, "
                            "nebo když je uvolníte bez platby.")
            if plan["issued"]:
                said.append(f"Už vydaná osvědčení ({len(plan['issued'])}) se znovu neposílají.")
            return self._confirm(request, f"Odeslat osvědčení {to_attendees(len(plan['issue']))}?", said,
                                 f"Ano, odeslat osvědčení ({len(plan['issue'])})", back=back)
        with self._audited(request, "certificates_issued", {"event_id": event_id}) as entry:
            done = self.registrations.issue_certificates(event_id)
            entry.details.update(issued=done["issued"], registration_ids=[p["id"] for p in done["issued_to"]],
                                 waiting_payment=[p["id"] for p in done["waiting"]])
        message = f"Osvědčení odeslána {to_attendees(done['issued'])}: {names(done['issued_to'])}." \
            if done["issued"] else "Žádné nové osvědčení se neodeslalo."
        if done["waiting"]:
            message += f" Na zaplacení čeká: {names(done['waiting'])}."
        return self._done(request, back, message)

    @page("POST", "/prihlasky/<int:registration_id>/osvedceni/uvolnit", StaffRole.STAFF)
    def release_certificate(self, request, registration_id):
        """An unpaid attendee's certificate goes without the payment: one explicit, audited decision."""
        registration = self.registrations.get_registration(registration_id)
        event, name = registration["event"], domain.full_name(registration)
        back = f"/akce/{event['id']}"
        if not confirmed(request):
            plan = self.registrations.certificate_plan(event["id"])
            when = ("Osvědčení odejde e-mailem hned: osvědčení této akce už byla vydána." if plan["started"]
                    else "Osvědčení odejde s ostatními, až je vydáte tlačítkem „Vydat osvědčení“.")
            return self._confirm(request, f"Uvolnit osvědčení bez platby: {name}?",
                                 [f"Přihláška stojí {czech.price(registration['price'])} a není zaplacená. "
                                  "Dluh trvá dál; jen osvědčení už na platbu nečeká.", when,
                                  "Rozhodnutí se zapíše i s vaším jménem."],
                                 "Ano, uvolnit osvědčení", back=back)
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
