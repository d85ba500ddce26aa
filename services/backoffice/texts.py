"""The console's pages for the texts of the emails (admin): the list, one text with the
variables it may use, its history and a preview with a real registration, saving and the way
back to the default.

Thin: notifications keeps the texts and their rules (``services/notifications/texts.py``);
these pages read the form, call it and render. Saving is not asked first (a version can be
taken back: the history keeps every one), but says what it did; going back to the default
is asked first, as it throws the office's wording out of use.
"""
from services.common.errors import NotFound, ValidationError
from services.common.vocabulary import EmailKind

from . import domain, forms
from .domain import StaffRole
from .web import confirmed, page


class TextPages:
    """Mixed into the console service: it needs ``notifications``, ``registrations``, ``_page``,
    ``_confirm``, ``_done`` and ``_audited`` from it."""

    @page("GET", "/texty", StaffRole.ADMIN)
    def texts(self, request):
        return self._page(request, "texts.html", texts=self.notifications.list_texts())

    @page("GET", "/texty/<key>", StaffRole.ADMIN)
    def text_form(self, request, key):
        text = self.notifications.get_text(_known(key))
        return self._text_page(request, text, text["body"])

    @page("POST", "/texty/<key>", StaffRole.ADMIN)
    def text_post(self, request, key):
        """``nahled``: the email as it would go to the chosen registration, nothing saved or sent;
        ``ulozit``: a new version (checked by notifications; refused, the form comes back with the
        Czech reason). One call each: failing halfway, nothing is saved."""
        text = self.notifications.get_text(_known(key))
        body, action, registration_id, problem = forms.email_text(request.form)
        if problem:
            return self._text_page(request, text, body, registration_id, status=422, problem=problem)
        if action == "ulozit":
            try:
                with self._audited(request, "text_saved", {"email_kind": key}) as entry:
                    version = self.notifications.save_text(key, body, request.account["email"])["version"]
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
            preview = self.notifications.preview_text(key, body, domain.preview_payload(registration))
        except ValidationError as error:
            return self._text_page(request, text, body, registration_id, status=422, problem=error.message)
        return self._text_page(request, text, body, registration_id, preview=preview)

    @page("POST", "/texty/<key>/vychozi", StaffRole.ADMIN)
    def text_revert(self, request, key):
        """Back to the default text, asked first; recorded as a version (who, when)."""
        text = self.notifications.get_text(_known(key))
        if not confirmed(request):
            return self._confirm(request, f"Vrátit e-mailu „{domain.email_kind(key)}“ výchozí text?",
                                 ["E-maily vzniklé od teď dostanou výchozí text.",
                                  f"Text kanceláře (verze {text['version']}) zůstane v historii." if text["own"]
                                  else "E-mail už teď má výchozí text."],
                                 "Ano, vrátit výchozí text", back=f"/texty/{key}")
        with self._audited(request, "text_reverted", {"email_kind": key}) as entry:
            version = self.notifications.revert_text(key, request.account["email"])["version"]
            entry.details["text_version"] = version
        return self._done(request, f"/texty/{key}", domain.text_reverted(key, version))

    def _text_page(self, request, text, body, registration_id=None, status=200, problem=None, preview=None):
        return self._page(request, "text.html", status=status, text=text, body=body,
                          registration_id=registration_id, problem=problem, preview=preview)


def _known(key):
    """Only the kinds of email have texts: anything else is the console's 404 page."""
    if key not in set(EmailKind):
        raise NotFound("text_not_found", "Takový e-mail neznáme.")
    return key
