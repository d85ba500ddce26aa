"""The console's pages for the texts of the emails and of the certificate (admin): the list, one
text with the variables it may use, its history and a preview with a real registration, saving
and the way back to the default.

Thin: notifications keeps the emails' texts and their rules (``services/notifications/texts.py``),
documents the certificate's (``services/documents/texts.py``), with the same RPCs (``list_texts``,
``get_text``, ``save_text``, ``preview_text``, ``revert_text``); these pages read the form, call
the service whose text it is and render. Saving is not asked first (a version can be taken back:
the history keeps every one), but says what it did; going back to the default is asked first, as
it throws the office's wording out of use. The certificate's preview is its PDF (marked "UKÁZKA",
no number taken), opened in the browser.
"""
from services.common.errors import NotFound, ServiceUnavailable, ValidationError, outage
from services.common.vocabulary import EmailKind

from . import domain, forms
from .domain import CERTIFICATE_TEXT, StaffRole
from .web import confirmed, document_response, page


class TextPages:
    """Mixed into the console service: it needs ``notifications``, ``documents``, ``registrations``,
    ``_page``, ``_confirm``, ``_done`` and ``_audited`` from it."""

    @page("GET", "/texty", StaffRole.ADMIN)
    def texts(self, request):
        return self._page(request, "texts.html", texts=self.notifications.list_texts(),
                          documents=self._documents_texts())

    def _documents_texts(self):
        """documents' texts, or None when it is away: the emails' list still shows."""
        try:
            return self.documents.list_texts()
        except Exception as error:
            if outage(error) is None and not isinstance(error, ServiceUnavailable):
                raise
            return None

    @page("GET", "/texty/<key>", StaffRole.ADMIN)
    def text_form(self, request, key):
        text = self._owner(key).get_text(key)
        return self._text_page(request, text, text["body"])

    @page("POST", "/texty/<key>", StaffRole.ADMIN)
    def text_post(self, request, key):
        """``nahled``: the email as it would go to the chosen registration, or the certificate's
        PDF as it would be made for it, nothing saved, sent or numbered; ``ulozit``: a new version
        (checked by the service whose text it is; refused, the form comes back with the Czech
        reason). One call each: failing halfway, nothing is saved."""
        owner = self._owner(key)
        text = owner.get_text(key)
        body, action, registration_id, problem = forms.email_text(request.form)
        if problem:
            return self._text_page(request, text, body, registration_id, status=422, problem=problem)
        if action == "ulozit":
            action_name, about = _audit(key, "saved")
            try:
                with self._audited(request, action_name, about) as entry:
                    version = owner.save_text(key, body, request.account["email"])["version"]
                    entry.details["text_version"] = version
            except ValidationError as error:
                return self._text_page(request, text, body, registration_id, status=422, problem=error.message)
            return self._done(request, f"/texty/{key}", domain.text_saved(key, version))
        if registration_id is None:
            return self._text_page(request, text, body, status=422,
                                   problem="Pro ukázku zadejte číslo skutečné přihlášky.")
        try:
            registration = self.registrations.get_registration(registration_id)
        except NotFound:
            return self._text_page(request, text, body, registration_id, status=422,
                                   problem=f"Přihláška číslo {registration_id} neexistuje.")
        try:
            preview = owner.preview_text(key, body, domain.preview_payload(registration))
        except ValidationError as error:
            return self._text_page(request, text, body, registration_id, status=422, problem=error.message)
        if key == CERTIFICATE_TEXT:
            return document_response(preview)
        return self._text_page(request, text, body, registration_id, preview=preview)

    @page("POST", "/texty/<key>/vychozi", StaffRole.ADMIN)
    def text_revert(self, request, key):
        """Back to the default text, asked first; recorded as a version (who, when)."""
        owner = self._owner(key)
        text = owner.get_text(key)
        if not confirmed(request):
            if key == CERTIFICATE_TEXT:
                question = "Vrátit osvědčení výchozí text?"
                first = "Osvědčení vydaná od teď dostanou výchozí text; už vydaná zůstávají, jak byla."
                already = "Osvědčení už teď má výchozí text."
            else:
                question = f"Vrátit e-mailu „{domain.email_kind(key)}“ výchozí text?"
                first = "E-maily vzniklé od teď dostanou výchozí text."
                already = "E-mail už teď má výchozí text."
            return self._confirm(request, question,
                                 [first, f"Text kanceláře (verze {text['version']}) zůstane v historii." if text["own"]
                                  else already],
                                 "Ano, vrátit výchozí text", back=f"/texty/{key}")
        action_name, about = _audit(key, "reverted")
        with self._audited(request, action_name, about) as entry:
            version = owner.revert_text(key, request.account["email"])["version"]
            entry.details["text_version"] = version
        return self._done(request, f"/texty/{key}", domain.text_reverted(key, version))

    def _owner(self, key):
        """The service whose text ``key`` is: documents the certificate's, notifications each kind
        of email's; anything else is the console's 404 page."""
        if key == CERTIFICATE_TEXT:
            return self.documents
        if key not in set(EmailKind):
            raise NotFound("text_not_found", "Takový text neznáme.")
        return self.notifications

    def _text_page(self, request, text, body, registration_id=None, status=200, problem=None, preview=None):
        return self._page(request, "text.html", status=status, text=text, body=body,
                          registration_id=registration_id, problem=problem, preview=preview,
                          certificate=text["key"] == CERTIFICATE_TEXT)


def _audit(key, what):
    """The audit's action and details: the emails' as before, the certificate's its own."""
    if key == CERTIFICATE_TEXT:
        return f"certificate_text_{what}", {"document": key}
    return f"text_{what}", {"email_kind": key}
