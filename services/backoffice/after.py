"""The console's pages for after the seminar: a message to the event's people, materials, feedback.

Thin: each page calls the registrations service and shows what it answers; the rules (who gets
what, once, file limits) live there. Every change is audited.
"""
import base64

from services.common.errors import ValidationError
from services.common.vocabulary import EmailKind, MessagePurpose

from . import domain, forms
from .domain import StaffRole
from .web import confirmed, csv_response, page

# The registrations service's limit for a file (``materials.MAX_BYTES``): a bigger upload is refused
# here, before it would travel over RPC in a message larger than the broker takes.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
QUESTIONS = (("content_rating", "Obsah"), ("lecturer_rating", "Lektor"), ("organisation_rating", "Organizace"))


class AfterPages:
    """Mixed into the console service (``staff``): it needs ``registrations``, ``notifications``,
    ``_page`` and ``_audited`` from it."""

    @page("POST", "/akce/<int:event_id>/zprava", StaffRole.STAFF)
    def message_attendees(self, request, event_id):
        """A message to the event's people: first its preview, made for a real person of the chosen
        audience, with how many will get it; then, confirmed, it is queued. A greeting typed at the
        top is left out: the email greets each person by name."""
        event = self.registrations.get_event(event_id)
        post = forms.attendee_message(request.form)
        if post.errors:
            return self._message_page(request, event, post.values, errors=post.errors, status=422)
        people = domain.audience_of(self.registrations.list_registrations(event_id), post.audience)
        if not people:
            return self._message_page(request, event, post.values, status=422,
                                      errors={"audience": domain.nobody_in_audience(post.audience)})
        if not confirmed(request):
            sample, said = domain.attendee_message_preview(post, event, people)
            email = self.notifications.preview_email(EmailKind.ATTENDEE_MESSAGE, sample)
            return self._message_page(request, event, post.values, email=email, count=len(people), said=said)
        subject, text = post.values["subject"], post.values["text"]
        try:
            with self._audited(request, "attendees_messaged", {"event_id": event_id, "subject": subject,
                                                               "audience": post.audience}) as entry:
                queued = entry.details["recipients"] = self.registrations.message_attendees(
                    event_id, subject, text, post.audience)["queued"]
        except ValidationError as error:
            return self._message_page(request, event, post.values, errors=error.fields, status=422)
        return self._done(request, f"/akce/{event_id}", f"Zpráva „{subject}“ odchází "
                                                        f"{domain.dative_people(queued)} (postupně).")

    def _message_page(self, request, event, values, errors=None, email=None, count=None, said=(), status=200):
        return self._page(request, "event_message.html", status=status, event=event, values=values,
                          errors=errors or {}, email=email, count=count, said=said, audiences=domain.AUDIENCES,
                          people=domain.dative_people)

    @page("POST", "/akce/<int:event_id>/podklady", StaffRole.STAFF, upload=MAX_UPLOAD_BYTES)
    def add_material(self, request, event_id):
        upload = forms.upload(request.files, MAX_UPLOAD_BYTES)
        if upload.too_large:
            return self._after_done(request, event_id, "Soubor je příliš velký: nejvýše 10 MB.", status=422)
        try:
            with self._audited(request, "material_added", {"event_id": event_id, "size": len(upload.data)}) as entry:
                added = self.registrations.add_material(event_id, upload.filename,
                                                        base64.b64encode(upload.data).decode("ascii"))
                entry.details.update(filename=added["filename"], size=added["size"])
        except ValidationError as error:
            return self._after_done(request, event_id, " ".join(error.fields.values()), status=422)
        return self._after_done(request, event_id, f"Soubor {added['filename']} je nahraný.")

    @page("POST", "/akce/<int:event_id>/podklady/smazat", StaffRole.STAFF)
    def remove_material(self, request, event_id):
        material_id = forms.chosen_id(request.form, "material_id")
        if material_id is None:
            return self._after_done(request, event_id, "Vyberte soubor ke smazání.", status=422)
        material = domain.by_id(self.registrations.list_materials(event_id), material_id)
        if material is None:
            return self._after_done(request, event_id, "Tento soubor u akce už není.", status=404)
        filename = material["filename"]
        if not confirmed(request):
            return self._confirm(request, f"Smazat podklady {filename}?", [
                "Soubor zmizí i z odkazu, který už účastníci dostali; smazání nelze vrátit."],
                "Ano, smazat soubor", back=f"/akce/{event_id}#po-akci", danger=True)
        with self._audited(request, "material_removed", {"event_id": event_id, "material_id": material_id,
                                                         "filename": filename}):
            self.registrations.remove_material(event_id, material_id)
        return self._done(request, f"/akce/{event_id}#po-akci", f"Soubor {filename} je smazaný.")

    @page("POST", "/akce/<int:event_id>/podklady/odeslat", StaffRole.STAFF)
    def send_materials(self, request, event_id):
        if not confirmed(request):
            return self._follow_up_question(request, event_id, MessagePurpose.MATERIALS)
        with self._audited(request, "materials_sent", {"event_id": event_id}) as entry:
            sent = entry.details["recipients"] = self.registrations.send_materials(event_id)["sent"]
        return self._done(request, f"/akce/{event_id}#po-akci", domain.follow_up_done("materials", sent))

    @page("POST", "/akce/<int:event_id>/zpetna-vazba/odeslat", StaffRole.STAFF)
    def send_feedback_requests(self, request, event_id):
        if not confirmed(request):
            return self._follow_up_question(request, event_id, MessagePurpose.FEEDBACK)
        with self._audited(request, "feedback_requested", {"event_id": event_id}) as entry:
            sent = entry.details["recipients"] = self.registrations.send_feedback_requests(event_id)["sent"]
        return self._done(request, f"/akce/{event_id}#po-akci", domain.follow_up_done("feedback", sent))

    @page("GET", "/akce/<int:event_id>/zpetna-vazba", StaffRole.STAFF)
    def feedback_results(self, request, event_id):
        return self._page(request, "feedback.html", event=self.registrations.get_event(event_id),
                          results=self.registrations.feedback_results(event_id), questions=QUESTIONS)

    @page("GET", "/akce/<int:event_id>/zpetna-vazba.csv", StaffRole.STAFF)
    def export_feedback(self, request, event_id):
        return csv_response(self.registrations.export_feedback(event_id), f"zpetna-vazba-{event_id}.csv")

    @page("GET", "/zpetna-vazba", StaffRole.STAFF)
    def feedback_by_lecturer(self, request):
        return self._page(request, "feedback_lecturers.html", lecturers=self.registrations.feedback_by_lecturer(),
                          questions=QUESTIONS)

    @page("GET", "/zpetna-vazba.csv", StaffRole.STAFF)
    def export_feedback_by_lecturer(self, request):
        return csv_response(self.registrations.export_feedback_by_lecturer(), "zpetna-vazba-lektori.csv")

    def _follow_up_question(self, request, event_id, purpose):
        """Before the materials link or the questionnaire goes: to whom, by name; nothing to ask
        when nobody new would get it."""
        due = self.registrations.follow_up_due(event_id, purpose)
        if not due:
            return self._after_done(request, event_id, domain.nobody_to_follow_up(purpose))
        return self._confirm(request, f"Poslat {domain.FOLLOW_UPS[purpose]} {domain.dative_people(len(due))}?", [
            f"E-mail s osobním odkazem dostanou: {domain.follow_up_names(due)}.",
            "Každý ho dostane jen jednou, i když tlačítko stisknete znovu."],
            f"Ano, poslat {domain.dative_people(len(due))}", back=f"/akce/{event_id}#po-akci")

    def _after_done(self, request, event_id, message, status=200):
        return self._page(request, "after_done.html", status=status, event=self.registrations.get_event(event_id),
                          message=message, ok=status < 400)
