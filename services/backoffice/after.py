"""The console's pages for after the seminar: a message to the event's people, materials, feedback.

Thin: each page calls the registrations service and shows what it answers; the rules (who gets
what, once, file limits) live there. Every change is audited.
"""
import base64

from werkzeug.wrappers import Response

from services.common.czech import plural
from services.common.errors import ValidationError

from .web import page

AUDIENCES = (("all", "všem přihlášeným (potvrzení i čekací listina)"), ("confirmed", "jen potvrzeným"),
             ("waitlisted", "jen čekací listině"))
# The registrations service's limit for a file (``materials.MAX_BYTES``): a bigger upload is refused
# here, before it would travel over RPC in a message larger than the broker takes.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
QUESTIONS = (("content_rating", "Obsah"), ("lecturer_rating", "Lektor"), ("organisation_rating", "Organizace"))


def people(count):
    """``1 účastník``, ``3 účastníci``, ``5 účastníků``."""
    return plural(count, "účastník", "účastníci", "účastníků")


class AfterPages:
    """Mixed into the console service (``staff``): it needs ``registrations``, ``notifications``,
    ``_page`` and ``_audited`` from it."""

    @page("POST", "/akce/<int:event_id>/zprava", "staff")
    def message_attendees(self, request, event_id):
        """A message to the event's people: first its preview, then, confirmed, it is queued."""
        event = self.registrations.get_event(event_id)
        values = {name: request.form.get(name, "") for name in ("subject", "text", "audience")}
        if values["audience"] not in dict(AUDIENCES):
            values["audience"] = "all"
        missing = {name: "Toto pole je povinné." for name in ("subject", "text") if not values[name].strip()}
        if missing:
            return self._message_page(request, event, values, errors=missing, status=422)
        if request.form.get("confirmed") == "ano":
            try:
                with self._audited(request, "attendees_messaged", {"event_id": event_id, "subject": values["subject"],
                                                                   "audience": values["audience"]}) as entry:
                    queued = self.registrations.message_attendees(event_id, values["subject"], values["text"],
                                                                  values["audience"])["queued"]
                    entry.details["recipients"] = queued
            except ValidationError as error:
                return self._message_page(request, event, values, errors=error.fields, status=422)
            return self._message_page(request, event, {}, queued=queued)
        email = self.notifications.preview_email("attendee_message", {
            "subject": values["subject"], "text": values["text"], "event": event, "batch_id": "",
            "registration": {"id": 0, "first_name": "Jana", "last_name": "Nováková", "email": "ukazka@example.invalid",
                             "link": None}})
        return self._message_page(request, event, values, email=email)

    def _message_page(self, request, event, values, errors=None, email=None, queued=None, status=200):
        return self._page(request, "event_message.html", status=status, event=event, values=values,
                          errors=errors or {}, email=email, queued=queued, audiences=AUDIENCES)

    @page("POST", "/akce/<int:event_id>/podklady", "staff", upload=MAX_UPLOAD_BYTES)
    def add_material(self, request, event_id):
        upload = request.files.get("soubor")
        data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
        if len(data) > MAX_UPLOAD_BYTES:
            return self._after_done(request, event_id, "Soubor je příliš velký: nejvýše 10 MB.", status=422)
        try:
            with self._audited(request, "material_added", {"event_id": event_id, "size": len(data)}) as entry:
                added = self.registrations.add_material(event_id, upload.filename if upload else "",
                                                        base64.b64encode(data).decode("ascii"))
                entry.details.update(filename=added["filename"], size=added["size"])
        except ValidationError as error:
            return self._after_done(request, event_id, " ".join(error.fields.values()), status=422)
        return self._after_done(request, event_id, f"Soubor {added['filename']} je nahraný.")

    @page("POST", "/akce/<int:event_id>/podklady/smazat", "staff")
    def remove_material(self, request, event_id):
        material_id = request.form.get("material_id", "")
        if not material_id.isdigit():
            return self._after_done(request, event_id, "Vyberte soubor ke smazání.", status=422)
        with self._audited(request, "material_removed", {"event_id": event_id, "material_id": int(material_id)}):
            self.registrations.remove_material(event_id, int(material_id))
        return self._after_done(request, event_id, "Soubor je smazaný.")

    @page("POST", "/akce/<int:event_id>/podklady/odeslat", "staff")
    def send_materials(self, request, event_id):
        with self._audited(request, "materials_sent", {"event_id": event_id}) as entry:
            sent = entry.details["recipients"] = self.registrations.send_materials(event_id)["sent"]
        return self._after_done(request, event_id, f"Odkaz na podklady odchází: {people(sent)}." if sent else
                                "Odkaz nedostal nikdo nový: jde jen těm, kdo mají potvrzenou účast nebo byli "
                                "odbaveni, a každému jednou.")

    @page("POST", "/akce/<int:event_id>/zpetna-vazba/odeslat", "staff")
    def send_feedback_requests(self, request, event_id):
        with self._audited(request, "feedback_requested", {"event_id": event_id}) as entry:
            sent = entry.details["recipients"] = self.registrations.send_feedback_requests(event_id)["sent"]
        return self._after_done(request, event_id, f"Dotazník odchází: {people(sent)}." if sent else
                                "Dotazník nedostal nikdo nový: jde jen těm, kdo mají potvrzenou účast nebo byli "
                                "odbaveni, a každému jednou.")

    @page("GET", "/akce/<int:event_id>/zpetna-vazba", "staff")
    def feedback_results(self, request, event_id):
        return self._page(request, "feedback.html", event=self.registrations.get_event(event_id),
                          results=self.registrations.feedback_results(event_id), questions=QUESTIONS)

    @page("GET", "/akce/<int:event_id>/zpetna-vazba.csv", "staff")
    def export_feedback(self, request, event_id):
        return Response(self.registrations.export_feedback(event_id), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="zpetna-vazba-{event_id}.csv"'})

    @page("GET", "/zpetna-vazba", "staff")
    def feedback_by_lecturer(self, request):
        return self._page(request, "feedback_lecturers.html", lecturers=self.registrations.feedback_by_lecturer(),
                          questions=QUESTIONS)

    @page("GET", "/zpetna-vazba.csv", "staff")
    def export_feedback_by_lecturer(self, request):
        return Response(self.registrations.export_feedback_by_lecturer(), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="zpetna-vazba-lektori.csv"'})

    def _after_done(self, request, event_id, message, status=200):
        return self._page(request, "after_done.html", status=status, event=self.registrations.get_event(event_id),
                          message=message, ok=status < 400)
