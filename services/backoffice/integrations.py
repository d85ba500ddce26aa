"""The administrators' pages for other systems: staff API tokens (``/api-tokeny``) and webhooks
(``/webhooky``), and the bus events the webhooks deliver.

Each change is audited in the same transaction as the change (the console's own tables). A token
and a webhook's signing secret are shown once, on the answer to the form that made them (never
stored in the clear for a token, never put in a redirect). Revoking a token, deleting or resuming
a webhook and replaying a delivery are asked first (``_confirm``) and said afterwards (``_done``).

The bus events reach the console only while some webhook (live or paused) chose their type: each
handler's queue is bound to its exchange only then (``bindings``). Creating a webhook binds its
types before its transaction commits (the broker failing fails the creation, with a 503 in
Czech); deleting one unbinds, after the commit, the types no other webhook wants; each process
reconciles the bindings with the table when it starts and every ``WEBHOOK_BINDINGS_SECONDS``.

The event handlers write the deliveries (``courier.record_event``) of the events that arrive
together in one transaction (group commit, ``services/common/groups.py``), each event in a
savepoint of its own: an event that fails on its own is rolled back alone and retried
(``ReliableEventHandler``); the group failing (the database away) rolls back all of them, and each
is retried. A handler returns, and its event is acked, only once its group committed. A second
delivery of the same event adds nothing (the rows are unique per webhook and message).
"""
from services.common.errors import Conflict, NotFound, ValidationError, outage
from services.common.groups import GroupCommit

from . import courier, store, tokens, usecases, webhooks
from .bindings import webhook_event_handler
from .domain import StaffRole
from .web import confirmed, page

DELIVERIES_SHOWN = 20
WEBHOOK_EVENTS = "webhook events"  # the one key of the group commit


class IntegrationPages:
    """Mixed into ``BackofficeService``."""

    # The bus events of a rush come by the hundred a second: recorded a group at a time.
    webhook_groups = GroupCommit(limit_setting=None, gather=0.01)

    # Staff API tokens

    @page("GET", "/api-tokeny", StaffRole.ADMIN)
    def api_tokens(self, request):
        return self._tokens_page(request)

    @page("POST", "/api-tokeny", StaffRole.ADMIN)
    def create_api_token(self, request):
        values = {"name": request.form.get("name", ""), "scopes": request.form.getlist("scopes")}
        try:
            name, scopes = tokens.token_values(values["name"], values["scopes"])
        except ValidationError as error:
            return self._tokens_page(request, status=422, values=values, errors=error.fields)
        with self._uow() as uow:
            row, token = usecases.create_api_token(uow, request.account, name, scopes)
        return self._tokens_page(request, created={"name": row["name"], "token": token})

    @page("POST", "/api-tokeny/<int:token_id>/zrusit", StaffRole.ADMIN)
    def revoke_api_token(self, request, token_id):
        with self.db.transaction() as tx:
            token = store.get_token(tx, token_id)
        if token is None:
            raise NotFound("token_not_found", "Takový token neexistuje.")
        if token["revoked_at"] is not None:
            return self._done(request, "/api-tokeny", f"Token {token['name']} je už zrušený.")
        if not confirmed(request):
            return self._confirm(request, f"Zrušit token {token['name']} ({token['prefix']}…)?", [
                "Systém, který ho používá, dostane od příštího požadavku odpověď 401 a nic dalšího neudělá.",
                "Zrušení nejde vzít zpět: pro obnovení přístupu vytvořte nový token."],
                "Ano, zrušit token", back="/api-tokeny", danger=True)
        with self._uow() as uow:
            usecases.revoke_api_token(uow, request.account, token_id)
        return self._done(request, "/api-tokeny", f"Token {token['name']} je zrušený.")

    def _tokens_page(self, request, status=200, values=None, errors=None, created=None):
        with self.db.transaction() as tx:
            found = store.list_tokens(tx)
        return self._page(request, "api_tokens.html", status=status, tokens=found, values=values or {},
                          errors=errors or {}, created=created, scopes=tokens.SCOPE_NAMES)

    # Webhooks

    @page("GET", "/webhooky", StaffRole.ADMIN)
    def webhooks(self, request):
        return self._webhooks_page(request)

    @page("POST", "/webhooky", StaffRole.ADMIN)
    def create_webhook(self, request):
        values = {"url": request.form.get("url", ""), "events": request.form.getlist("events"),
                  "description": request.form.get("description", "")}
        try:
            url, events, description = webhooks.webhook_values(values["url"], values["events"], values["description"],
                                                               self.settings.webhook_allow_local_http)
        except ValidationError as error:
            return self._webhooks_page(request, status=422, values=values, errors=error.fields)
        # Its events bound before the commit: none published after it is missed (``bindings``). The
        # broker failing rolls the webhook back (a 503 in Czech): never kept without its binding.
        with self.webhook_bindings.binder() as binder, self._uow() as uow:
            _, secret = usecases.create_webhook(uow, request.account, url, events, description)
            binder.bind(uow.conn, events)
        return self._webhooks_page(request, created={"url": url, "secret": secret})

    @page("POST", "/webhooky/<int:webhook_id>/obnovit", StaffRole.ADMIN)
    def resume_webhook(self, request, webhook_id):
        hook = self._webhook(webhook_id)
        if hook["paused_at"] is None:
            return self._done(request, "/webhooky", f"Webhook {hook['url']} není pozastavený.")
        if not confirmed(request):
            return self._confirm(request, f"Obnovit doručování na {hook['url']}?", [
                "Čekající zprávy se hned začnou odesílat, chyby se počítají znovu od nuly.",
                "Obnovte ho, až bude přijímající systém znovu v pořádku."], "Ano, obnovit", back="/webhooky")
        with self._uow() as uow:
            usecases.resume_webhook(uow, request.account, webhook_id)
        return self._done(request, "/webhooky", f"Doručování na {hook['url']} je obnovené.")

    @page("POST", "/webhooky/<int:webhook_id>/smazat", StaffRole.ADMIN)
    def delete_webhook(self, request, webhook_id):
        hook = self._webhook(webhook_id)
        if not confirmed(request):
            return self._confirm(request, f"Smazat webhook {hook['url']}?", [
                "Na adresu už nepůjde žádná zpráva; čekající zprávy se neodešlou.", "Smazání nejde vzít zpět."],
                "Ano, smazat webhook", back="/webhooky", danger=True)
        with self._uow() as uow:
            usecases.delete_webhook(uow, request.account, webhook_id)
        self.webhook_bindings.reconcile_or_later()  # its types unbound unless another webhook wants them
        return self._done(request, "/webhooky", f"Webhook {hook['url']} je smazaný.")

    @page("POST", "/webhooky/doruceni/<int:delivery_id>/znovu", StaffRole.ADMIN)
    def replay_delivery(self, request, delivery_id):
        with self.db.transaction() as tx:
            delivery = store.get_delivery(tx, delivery_id)
            hook = delivery and store.get_webhook(tx, delivery["webhook_id"])
        if delivery is None or hook is None:
            raise NotFound("delivery_not_found", "Taková zpráva webhooku neexistuje.")
        if delivery["status"] == webhooks.DeliveryStatus.PENDING:
            return self._done(request, "/webhooky", "Zpráva už čeká na odeslání.")
        if not delivery["body"]:
            raise Conflict("delivery_body_cleared", usecases.BODY_CLEARED)
        event = webhooks.EVENTS.get(delivery["event_type"], delivery["event_type"])
        if not confirmed(request):
            return self._confirm(request, f"Poslat znovu zprávu „{event}“ na {hook['url']}?", [
                "Přijímající systém dostane stejnou zprávu (se stejným id) ještě jednou, s novým podpisem.",
                "Pokud ji už zpracoval, musí ji podle id rozpoznat jako opakovanou."],
                "Ano, poslat znovu", back="/webhooky")
        with self._uow() as uow:
            usecases.replay_delivery(uow, request.account, delivery)
        return self._done(request, "/webhooky", f"Zpráva „{event}“ půjde znovu na {hook['url']}.")

    def _webhook(self, webhook_id):
        with self.db.transaction() as tx:
            hook = store.get_webhook(tx, webhook_id)
        if hook is None:
            raise NotFound("webhook_not_found", "Takový webhook neexistuje.")
        return hook

    def _webhooks_page(self, request, status=200, values=None, errors=None, created=None):
        with self.db.transaction() as tx:
            hooks = []
            for hook in store.list_webhooks(tx):
                deliveries = store.list_deliveries(tx, hook["id"], DELIVERIES_SHOWN)
                attempts = {}
                for attempt in store.attempts_of(tx, [d["id"] for d in deliveries]):
                    attempts.setdefault(attempt["delivery_id"], []).append(attempt)
                hooks.append({"hook": hook, "deliveries": [dict(d, tries=attempts.get(d["id"], []))
                                                           for d in deliveries]})
        return self._page(request, "webhooks.html", status=status, hooks=hooks, values=values or {},
                          errors=errors or {}, created=created, events=webhooks.EVENTS,
                          statuses=webhooks.DELIVERY_STATUS_NAMES, pause_after=self.settings.webhook_pause_after)

    # The bus events webhooks may deliver

    def _for_webhooks(self, event_type, payload):
        self.webhook_groups.submit(WEBHOOK_EVENTS, (event_type, payload), self._record_events)

    def _record_events(self, _key, items):
        """One transaction for the events that came together, the webhooks read once; an event
        failing on its own is rolled back to its savepoint and given back to its handler alone.
        An event nobody wants (its binding was there a moment too long, ``bindings``) writes nothing."""
        outcomes = []
        with self._uow() as uow:
            hooks = store.list_webhooks(uow.conn)
            for event_type, payload in items:
                if not any(event_type in hook["events"] for hook in hooks):
                    outcomes.append(0)  # nobody asked for it: nothing to write
                    continue
                try:
                    with uow.conn.begin_nested():
                        outcomes.append(courier.record_event(uow.conn, uow.now, event_type, payload, hooks))
                except Exception as error:
                    if outage(error) is not None:
                        raise
                    outcomes.append(error)
        return outcomes

    @webhook_event_handler("registrations", "registration_confirmed")
    def webhook_registration_confirmed(self, payload):
        self._for_webhooks("registration_confirmed", payload)

    @webhook_event_handler("registrations", "registration_cancelled")
    def webhook_registration_cancelled(self, payload):
        self._for_webhooks("registration_cancelled", payload)

    @webhook_event_handler("registrations", "registration_promoted")
    def webhook_registration_promoted(self, payload):
        self._for_webhooks("registration_promoted", payload)

    @webhook_event_handler("registrations", "registration_substituted")
    def webhook_registration_substituted(self, payload):
        self._for_webhooks("registration_substituted", payload)

    @webhook_event_handler("registrations", "event_published")
    def webhook_event_published(self, payload):
        self._for_webhooks("event_published", payload)

    # Told once per live registration: one delivery per change of the event (``courier.per_event``).
    @webhook_event_handler("registrations", "event_updated")
    def webhook_event_updated(self, payload):
        self._for_webhooks("event_updated", courier.per_event("event_updated", payload))

    @webhook_event_handler("registrations", "event_cancelled")
    def webhook_event_cancelled(self, payload):
        self._for_webhooks("event_cancelled", courier.per_event("event_cancelled", payload))

    @webhook_event_handler("payments", "payment_received")
    def webhook_payment_received(self, payload):
        self._for_webhooks("payment_received", payload)

    @webhook_event_handler("payments", "invoice_issued")
    def webhook_invoice_issued(self, payload):
        self._for_webhooks("invoice_issued", payload)
