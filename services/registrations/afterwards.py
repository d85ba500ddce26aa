"""Entrypoints for after the seminar: messages to an event's people, materials, feedback.

Mixed into ``RegistrationsService``, whose dependencies it uses; the rules live in
``messaging``, ``materials`` and ``feedback``.
"""
from urllib.parse import quote

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from services.common.errors import EXPECTED, Conflict, ValidationError
from services.common.rpc import rpc

from . import feedback, materials, messaging, pages, store, usecases
from .http import api, read_json
from .schemas import attendee_message_in, feedback_in
from .site import CSRF_COOKIE, MAX_FORM_BYTES, STALE_FORM, _csrf_valid
from .web import page_route


class AfterTheEvent:
    """RPC for staff (the shell and the console) and the attendees' pages."""

    def _expiry(self, purpose):
        """When a personal link of ``purpose`` stops working, for ``messaging.registration_of``."""
        return {"now": self.clock(), "days": messaging.link_days(self.config, purpose),
                "contact": self.settings.organiser_contact}

    def _event(self, tx, event_id):
        event = usecases.get_event(tx, int(event_id), public_only=False)
        return event, usecases.event_view(event, self.clock())

    # Messages

    @rpc(expected_exceptions=EXPECTED)
    def message_attendees(self, event_id, subject, text, audience="all"):
        """Email everyone registered for the event (``audience`` "all"), only the confirmed
        ("confirmed") or only the waitlist ("waitlisted"); sent at the pace of announcements.
        Returns how many will get it."""
        values = attendee_message_in.load_or_raise({"subject": subject, "text": text})
        with self._uow() as uow:
            _event, view = self._event(uow.conn, event_id)
            queued = messaging.message_attendees(uow, view["id"], values["subject"], values["text"], audience, view)
        return {"queued": queued}

    # Materials

    @rpc(expected_exceptions=EXPECTED)
    def add_material(self, event_id, filename, data):
        """Attach a file (``data`` in base64) to the event: PDF or an Office/OpenDocument file."""
        content = materials.decode(data)
        with self._uow() as uow:
            event, _view = self._event(uow.conn, event_id)
            return materials.add(uow, event, filename, content)

    @rpc(expected_exceptions=EXPECTED)
    def list_materials(self, event_id):
        with self.db.transaction() as tx:
            event, _view = self._event(tx, event_id)
            return [materials.listed(row) for row in store.list_materials(tx, event["id"])]

    @rpc(expected_exceptions=EXPECTED)
    def remove_material(self, event_id, material_id):
        with self.db.transaction() as tx:
            materials.remove(tx, int(event_id), int(material_id))
        return {"removed": int(material_id)}

    @rpc(expected_exceptions=EXPECTED)
    def follow_up_due(self, event_id, purpose):
        """Who the materials link (``purpose`` "materials") or the questionnaire ("feedback")
        would go to now, as ``[{id, name, email}]``: the console says it before staff confirm."""
        if purpose not in (materials.PURPOSE, feedback.PURPOSE):
            raise ValidationError({"purpose": "Neznámý druh e-mailu po akci."})
        with self.db.transaction() as tx:
            event, _view = self._event(tx, event_id)
            if purpose == feedback.PURPOSE:
                feedback.check_over(event, self.clock())
            else:
                materials.check_has_materials(tx, event["id"])
            due = messaging.follow_up_due(tx, event["id"], purpose)
        return [{"id": r["id"], "name": f"{r['first_name']} {r['last_name']}", "email": r["email"]} for r in due]

    @rpc(expected_exceptions=EXPECTED)
    def send_materials(self, event_id):
        """Email a personal link to the materials to each person who came (once each)."""
        with self._uow() as uow:
            event, view = self._event(uow.conn, event_id)
            sent = materials.send(uow, event["id"], view)
        return {"sent": sent}

    # Feedback

    @rpc(expected_exceptions=EXPECTED)
    def send_feedback_requests(self, event_id):
        """Email the questionnaire to each person who came, once the event has ended (once each)."""
        with self._uow() as uow:
            event, view = self._event(uow.conn, event_id)
            sent = feedback.send_requests(uow, event, view)
        return {"sent": sent}

    @rpc(expected_exceptions=EXPECTED)
    def feedback_results(self, event_id):
        with self.db.transaction() as tx:
            event, _view = self._event(tx, event_id)
            return feedback.results(tx, event)

    @rpc(expected_exceptions=EXPECTED)
    def feedback_by_lecturer(self):
        with self.db.transaction() as tx:
            return feedback.results_by_lecturer(tx)

    @rpc(expected_exceptions=EXPECTED)
    def export_feedback(self, event_id):
        """The answers of the event as CSV for Czech Excel (without names)."""
        with self.db.transaction() as tx:
            event, _view = self._event(tx, event_id)
            return feedback.export_csv(tx, event["id"])

    @rpc(expected_exceptions=EXPECTED)
    def export_feedback_by_lecturer(self):
        with self.db.transaction() as tx:
            return feedback.export_lecturers_csv(tx)

    # The attendees' JSON API: the same personal links

    @api("GET", "/api/materials/<token>")
    def http_materials(self, request, token):
        """The files of the event for someone who came, each with its download address."""
        with self.db.transaction() as tx:
            _registration, event, files = materials.for_attendee(tx, self.signing_key, token,
                                                                 self._expiry(materials.PURPOSE))
        return 200, {"event_id": event["id"], "title": event["title"], "materials": [
            dict(file, url=f"{self.base_url}/materials/{quote(token)}/{file['id']}") for file in files]}

    @api("POST", "/api/feedback/<token>")
    def http_feedback(self, request, token):
        """The questionnaire's answer of the link's person; 409 ``feedback_already_given`` the second time."""
        body = read_json(request)
        with self.db.transaction() as tx:
            # a forged or foreign link first: 404, 403; an expired one 410
            feedback.questionnaire(tx, self.signing_key, token, self._expiry(feedback.PURPOSE))
        answer = feedback_in.load_or_raise(body)
        with self._uow() as uow:
            feedback.answer(uow, token, answer, self._expiry(feedback.PURPOSE))
        return 201, {"status": "saved"}

    # The attendees' pages

    @page_route("GET", "/materials/<token>")
    def page_materials(self, request, token):
        with self.db.transaction() as tx:
            registration, event, files = materials.for_attendee(tx, self.signing_key, token,
                                                                self._expiry(materials.PURPOSE))
        return pages.page("materials.html", registration=registration,
                          event=usecases.event_view(event, self.clock()), files=files, token=quote(token))

    @page_route("GET", "/materials/<token>/<int(max=2147483647):material_id>")
    def page_material_file(self, request, token, material_id):
        with self.db.transaction() as tx:
            row = materials.file_for_attendee(tx, self.signing_key, token, material_id,
                                               self._expiry(materials.PURPOSE))
        return Response(bytes(row["data"]), content_type=row["content_type"], headers={
            "Content-Disposition": materials.content_disposition(row["filename"]),
            "Cache-Control": "private, no-store"})

    @page_route("GET", "/feedback/<token>")
    def page_feedback(self, request, token):
        with self.db.transaction() as tx:
            registration, event, answered = feedback.questionnaire(tx, self.signing_key, token,
                                                                   self._expiry(feedback.PURPOSE))
        return self._feedback_form(request, token, registration, event, answered, values={}, errors={})

    @page_route("POST", "/feedback/<token>")
    def page_feedback_answer(self, request, token):
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return pages.page("error.html", status=413, message="Formulář je příliš velký.")
        if not _csrf_valid(self.signing_key, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        values = {name: request.form.get(name, "") for name, _ in feedback.QUESTIONS}
        # a rating left out is left out (required), a number is a number (the schema is strict)
        data = {name: int(value) if value.isascii() and value.isdigit() and len(value) < 4 else value
                for name, value in values.items() if value}
        values["comment"] = data["comment"] = request.form.get("comment", "")
        with self.db.transaction() as tx:
            registration, event, answered = feedback.questionnaire(tx, self.signing_key, token,
                                                                   self._expiry(feedback.PURPOSE))
        try:
            answer = feedback_in.load_or_raise(data)
            with self._uow() as uow:
                feedback.answer(uow, token, answer, self._expiry(feedback.PURPOSE))
        except ValidationError as error:
            return self._feedback_form(request, token, registration, event, answered, values=values,
                                       errors=error.fields, status=422)
        except Conflict:
            return self._feedback_form(request, token, registration, event, True, values={}, errors={}, status=409)
        return redirect(f"/feedback/{quote(token)}?diky=1", code=303)

    def _feedback_form(self, request, token, registration, event, answered, values, errors, status=200):
        return self._with_csrf(request, "feedback.html", status=status, registration_token=quote(token),
                               event=usecases.event_view(event, self.clock()), answered=answered, values=values,
                               errors=errors, questions=feedback.QUESTIONS, thanks=request.args.get("diky") == "1",
                               already=feedback.ALREADY_ANSWERED)
