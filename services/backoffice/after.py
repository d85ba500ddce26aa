"""The console's pages for after the seminar: a message to the event's people, materials, feedback.

Thin: each page calls the registrations service and shows what it answers; the rules (who gets
what, once, file limits) live there. Every change is audited.
"""
import base64

from werkzeug.wrappers import Response

from services.common.czech import plural
from services.common.errors import ValidationError
from services.common.vocabulary import LIVE, EmailKind, MessagePurpose, RegistrationStatus

from . import domain
from .domain import StaffRole
from .web import confirmed, page

AUDIENCES = (("all", "všem přihlášeným (potvrzení i čekací listina)"), ("confirmed", "jen potvrzeným"),
             ("waitlisted", "jen čekací listině"))
# Who each audience is, as the registrations service reads it (``messaging.AUDIENCES``).
AUDIENCE_STATUSES = {"all": LIVE, "confirmed": (RegistrationStatus.CONFIRMED,),
                     "waitlisted": (RegistrationStatus.WAITLISTED,)}
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

    @page("POST", "/akce/<int:event_id>/zprava", StaffRole.STAFF)
    def message_attendees(self, request, event_id):
        """A message to the event's people: first its preview, made for a real person of the chosen
        audience, with how many will get it; then, confirmed, it is queued. A greeting typed at the
        top is left out: the email greets each person by name."""
        event = self.registrations.get_event(event_id)
        values = {name: request.form.get(name, "") for name in ("subject", "text", "audience")}
        if values["audience"] not in dict(AUDIENCES):
            values["audience"] = "all"
        values["text"], greeting = domain.without_greeting(values["text"])
        missing = {name: "Toto pole je povinné." for name in ("subject", "text") if not values[name].strip()}
        if missing:
            return self._message_page(request, event, values, errors=missing, status=422)
        people = [r for r in self.registrations.list_registrations(event_id)
                  if r["status"] in AUDIENCE_STATUSES[values["audience"]]]
        audience = dict(AUDIENCES)[values["audience"]]
        if not people:
            return self._message_page(request, event, values, status=422, errors={
                "audience": f"Na akci nikdo takový není ({audience}): zpráva by nešla nikomu."})
        if confirmed(request):
            try:
                with self._audited(request, "attendees_messaged", {"event_id": event_id, "subject": values["subject"],
                                                                   "audience": values["audience"]}) as entry:
                    queued = self.registrations.message_attendees(event_id, values["subject"], values["text"],
                                                                  values["audience"])["queued"]
                    entry.details["recipients"] = queued
            except ValidationError as error:
                return self._message_page(request, event, values, errors=error.fields, status=422)
            return self._done(request, f"/akce/{event_id}", f"Zpráva „{values['subject']}“ odchází "
                                                            f"{domain.dative_people(queued)} (postupně).")
        shown = min(people, key=lambda r: (r["status"] != RegistrationStatus.CONFIRMED, r["last_name"],
                                           r["first_name"]))
        email = self.notifications.preview_email(EmailKind.ATTENDEE_MESSAGE, {
            "subject": values["subject"], "text": values["text"], "event": event, "batch_id": "",
            "registration": {"id": shown["id"], "first_name": shown["first_name"], "last_name": shown["last_name"],
                             "email": shown["email"], "link": None}})
        names = ", ".join(domain.full_name(r) for r in people[:10]) + (f" a další ({len(people) - 10})"
                                                                       if len(people) > 10 else "")
        said = [f"Dostanou ji ({audience}): {names}.",
                f"Náhled níže je e-mail, jak ho dostane {domain.full_name(shown)}; každý dostane oslovení svým jménem."]
        if greeting:
            said.append(f"Vaše úvodní oslovení „{greeting}“ jsme vynechali: e-mail začíná oslovením jménem sám.")
        return self._message_page(request, event, values, email=email, count=len(people), said=said)

    def _message_page(self, request, event, values, errors=None, email=None, count=None, said=(), status=200):
        return self._page(request, "event_message.html", status=status, event=event, values=values,
                          errors=errors or {}, email=email, count=count, said=said, audiences=AUDIENCES,
                          people=domain.dative_people)

    @page("POST", "/akce/<int:event_id>/podklady", StaffRole.STAFF, upload=MAX_UPLOAD_BYTES)
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

    @page("POST", "/akce/<int:event_id>/podklady/smazat", StaffRole.STAFF)
    def remove_material(self, request, event_id):
        material_id = request.form.get("material_id", "")
        if not material_id.isdigit():
            return self._after_done(request, event_id, "Vyberte soubor ke smazání.", status=422)
        listed = {m["id"]: m for m in self.registrations.list_materials(event_id)}
        if int(material_id) not in listed:
            return self._after_done(request, event_id, "Tento soubor u akce už není.", status=404)
        filename = listed[int(material_id)]["filename"]
        if not confirmed(request):
            return self._confirm(request, f"Smazat podklady {filename}?", [
                "Soubor zmizí i z odkazu, který už účastníci dostali; smazání nelze vrátit."],
                "Ano, smazat soubor", back=f"/akce/{event_id}#po-akci", danger=True)
        with self._audited(request, "material_removed", {"event_id": event_id, "material_id": int(material_id),
                                                         "filename": filename}):
            self.registrations.remove_material(event_id, int(material_id))
        return self._done(request, f"/akce/{event_id}#po-akci", f"Soubor {filename} je smazaný.")

    @page("POST", "/akce/<int:event_id>/podklady/odeslat", StaffRole.STAFF)
    def send_materials(self, request, event_id):
        if not confirmed(request):
            return self._follow_up_question(request, event_id, MessagePurpose.MATERIALS)
        with self._audited(request, "materials_sent", {"event_id": event_id}) as entry:
            sent = entry.details["recipients"] = self.registrations.send_materials(event_id)["sent"]
        return self._done(request, f"/akce/{event_id}#po-akci",
                          f"Odkaz na podklady odchází: {people(sent)}." if sent else
                          "Odkaz nedostal nikdo nový: jde jen těm, kdo mají potvrzenou účast nebo byli "
                          "odbaveni, a každému jednou.")

    @page("POST", "/akce/<int:event_id>/zpetna-vazba/odeslat", StaffRole.STAFF)
    def send_feedback_requests(self, request, event_id):
        if not confirmed(request):
            return self._follow_up_question(request, event_id, MessagePurpose.FEEDBACK)
        with self._audited(request, "feedback_requested", {"event_id": event_id}) as entry:
            sent = entry.details["recipients"] = self.registrations.send_feedback_requests(event_id)["sent"]
        return self._done(request, f"/akce/{event_id}#po-akci", f"Dotazník odchází: {people(sent)}." if sent else
                          "Dotazník nedostal nikdo nový: jde jen těm, kdo mají potvrzenou účast nebo byli "
                          "odbaveni, a každému jednou.")

    @page("GET", "/akce/<int:event_id>/zpetna-vazba", StaffRole.STAFF)
    def feedback_results(self, request, event_id):
        return self._page(request, "feedback.html", event=self.registrations.get_event(event_id),
                          results=self.registrations.feedback_results(event_id), questions=QUESTIONS)

    @page("GET", "/akce/<int:event_id>/zpetna-vazba.csv", StaffRole.STAFF)
    def export_feedback(self, request, event_id):
        return Response(self.registrations.export_feedback(event_id), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="zpetna-vazba-{event_id}.csv"'})

    @page("GET", "/zpetna-vazba", StaffRole.STAFF)
    def feedback_by_lecturer(self, request):
        return self._page(request, "feedback_lecturers.html", lecturers=self.registrations.feedback_by_lecturer(),
                          questions=QUESTIONS)

    @page("GET", "/zpetna-vazba.csv", StaffRole.STAFF)
    def export_feedback_by_lecturer(self, request):
        return Response(self.registrations.export_feedback_by_lecturer(), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="zpetna-vazba-lektori.csv"'})

    def _follow_up_question(self, request, event_id, purpose):
        """Before the materials link or the questionnaire goes: to whom, by name; nothing to ask
        when nobody new would get it."""
        due = self.registrations.follow_up_due(event_id, purpose)
        what = "odkaz na podklady" if purpose == MessagePurpose.MATERIALS else "dotazník zpětné vazby"
        if not due:
            return self._after_done(request, event_id, f"Nikdo nový by {what} nedostal: jde jen těm, kdo mají "
                                    "potvrzenou účast nebo byli odbaveni, a každému jednou.")
        names = ", ".join(person["name"] for person in due[:20]) + (" a další" if len(due) > 20 else "")
        return self._confirm(request, f"Poslat {what} {domain.dative_people(len(due))}?", [
            f"E-mail s osobním odkazem dostanou: {names}.",
            "Každý ho dostane jen jednou, i když tlačítko stisknete znovu."],
            f"Ano, poslat {domain.dative_people(len(due))}", back=f"/akce/{event_id}#po-akci")

    def _after_done(self, request, event_id, message, status=200):
        return self._page(request, "after_done.html", status=status, event=self.registrations.get_event(event_id),
                          message=message, ok=status < 400)
