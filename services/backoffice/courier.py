"""The webhooks' delivery loop: a green thread of each console process, like the outbox relay
(``services.common.outbox``) but posting to the administrators' URLs.

Deliveries are rows (``store.webhook_deliveries``), written when the console consumes a bus
event (``record_event``; it hears an event type only while a webhook, live or paused, chose it:
``bindings``), in one transaction per event with one row per webhook that chose it;
the pair (webhook, message_id) is unique, so the row is its own dedup record and an event
delivered twice by the bus makes no second delivery.

Each turn the loop claims a due row of a webhook that is not paused (``claimed_until``: a second
console process skips it meanwhile; one row at a time, claimed for longer than its attempt can
take: ``claim_seconds``), and POSTs it, signed anew
(``webhooks.signature``), without following redirects, its address checked again
(``webhooks.url_problem``). Every try is logged (``webhook_attempts``: status, time, the first
characters of the answer or the error). A 2xx is delivered and resets the webhook's failures in a
row. Anything else is tried again after the next of ``WEBHOOK_RETRY_DELAYS``, then given up
(``failed``, replayable from the console); and ``WEBHOOK_PAUSE_AFTER`` failures in a row pause
the webhook: its deliveries wait until an administrator resumes it, and the console's dashboard
says so to every administrator (the honest, simple way to tell them: no new email type).

A delivery's body names a person: once it is delivered or given up, it is cleared
``WEBHOOK_BODY_KEEP_DAYS`` after its last try (``clear_old_bodies``, each loop about hourly); the
row, its status and its tries stay, and such a delivery can no longer be replayed.

If the process dies after a POST and before its result is written, the claim lapses and the
delivery is posted again: deliveries are at least once, and a receiver deduplicates by ``id``.
"""
import logging
import time
import uuid
from datetime import timedelta

import eventlet
import requests
from nameko.extensions import DependencyProvider

from services.common.contracts import PublicEventShape
from services.common.db import DatabaseProvider, utcnow

from . import store, webhooks
from .settings import load as load_settings
from .staffapi import RegistrationOut
from .webhooks import DeliveryStatus

log = logging.getLogger(__name__)

# A delivery is claimed right before its one attempt, for far longer than that attempt can take:
# two DNS look-ups (the address check's and requests'), the connect and read time-outs
# (WEBHOOK_TIMEOUT_SECONDS each) and writing the outcome. Should an attempt still outlast it (a
# receiver dripping its answer), its outcome is written only while the claim is still its own.
CLAIM_MARGIN_SECONDS = 120
SWEEP_SECONDS = 3600  # how often a loop clears old deliveries' bodies (WEBHOOK_BODY_KEEP_DAYS)
BATCH = 20  # deliveries in a turn, each claimed on its own, before the loop looks again without waiting


def claim_seconds(settings) -> float:
    return CLAIM_MARGIN_SECONDS + 4 * settings.webhook_timeout


# The namespace of the ids of event changes delivered once per event (``per_event``).
PER_EVENT = uuid.UUID("6f1d2c3e-5b7a-4c1e-9a0d-2b8e4f6a7c91")


def per_event(event_type, payload):
    """An ``event_updated`` or ``event_cancelled`` as a webhook gets it: once per event change,
    not once per live registration (registrations tells each registration, for its emails). Its
    id is derived from the change (the event's id and its version, which grows with each change
    of time or place and with the cancellation), so each registration's message makes the same
    delivery and ``store.add_delivery`` keeps the first; the registration (one person of many)
    is left out. An event with no live registration is told to nobody, so its change makes no
    delivery (docs/operations.md)."""
    event = payload["event"]
    key = uuid.uuid5(PER_EVENT, f"{event_type}:{event['id']}:{event['version']}")
    return {name: value for name, value in payload.items() if name != "registration"} | {"message_id": str(key)}


# What a webhook may tell a third party, per part of an event: an allow-list, never the whole bus
# payload (which carries the person's manage link and token, ticket, webinar link, birth date and
# answers, the invoice's ISDOC and its recipients' emails). The registration is a subset of the
# staff API's ``RegistrationOut`` (marshmallow refuses a name that is not one of its fields), the
# event the public facts of ``event_published`` (``contracts.PublicEventShape``) and its version.
REGISTRATION_OUT = RegistrationOut(only=(
    "id", "event_id", "status", "waitlist_position", "first_name", "last_name", "email", "organisation_ico",
    "organisation_name", "is_member", "price", "created_at", "cancelled_at"))
EVENT_FIELDS = (*PublicEventShape._declared_fields, "version")
PAYMENT_FIELDS = ("variable_symbol", "amount", "amount_halere", "paid_halere", "paid_at")
INVOICE_FIELDS = ("number", "kind", "variable_symbol", "issued_on", "due_on", "total_halere")
CUSTOMER_FIELDS = ("name", "ico")
# The other top-level fields each event type may carry as they are (facts about the event or the money).
PLAIN_FIELDS = ("changes", "reason", "released_unpaid", "paid_now_halere", "registration_ids")


def _only(values, names):
    return {name: values[name] for name in names if name in values}


def webhook_data(payload) -> dict:
    """The ``data`` of a delivery: the allow-listed parts of a bus event's payload (see above)."""
    data = _only(payload, PLAIN_FIELDS)
    event = payload.get("event")
    if event is not None:
        data["event"] = _only(event, EVENT_FIELDS)
    for name in ("registration", "replaced"):
        if payload.get(name) is not None:
            data[name] = REGISTRATION_OUT.dump(dict(payload[name], event_id=(event or {}).get("id")))
    if payload.get("payment") is not None:
        data["payment"] = _only(payload["payment"], PAYMENT_FIELDS)
    if payload.get("invoice") is not None:
        invoice = payload["invoice"]
        data["invoice"] = dict(_only(invoice, INVOICE_FIELDS),
                               customer=_only(invoice.get("customer") or {}, CUSTOMER_FIELDS))
    return data


def record_event(conn, now, event_type, payload, hooks=None) -> int:
    """One delivery per live webhook that chose ``event_type`` (of ``hooks``, read here when not
    given); how many were added."""
    body, added = None, 0
    for hook in store.list_webhooks(conn) if hooks is None else hooks:
        if event_type not in hook["events"]:
            continue
        body = body or webhooks.body(payload["message_id"], event_type, payload.get("occurred_at"),
                                     webhook_data(payload))
        added += store.add_delivery(conn, {
            "webhook_id": hook["id"], "message_id": payload["message_id"], "event_type": event_type,
            "body": body, "status": DeliveryStatus.PENDING, "attempts": 0, "next_attempt_at": now,
            "created_at": now})
    return added


def settle(conn, delivery, hook, now, status_code, settings):
    """Write the outcome of one try of ``delivery``; True when its webhook was paused by it."""
    if status_code is not None and 200 <= status_code < 300:
        store.update_delivery(conn, delivery["id"], {"status": DeliveryStatus.DELIVERED, "delivered_at": now,
                                                     "attempts": delivery["attempts"] + 1, "claimed_until": None,
                                                     "next_attempt_at": None})
        store.update_webhook(conn, hook["id"], {"failures_in_row": 0})
        return False
    attempts = delivery["attempts"] + 1
    wait = webhooks.next_attempt(attempts, settings.webhook_retry_delays)
    store.update_delivery(conn, delivery["id"], {
        "attempts": attempts, "claimed_until": None,
        "status": DeliveryStatus.PENDING if wait is not None else DeliveryStatus.FAILED,
        "next_attempt_at": now + wait if wait is not None else None})
    failures = hook["failures_in_row"] + 1
    pause = failures >= settings.webhook_pause_after and hook["paused_at"] is None
    store.update_webhook(conn, hook["id"], {"failures_in_row": failures, **({"paused_at": now} if pause else {})})
    return pause


class WebhookCourier(DependencyProvider):
    """Owns the delivery loop of a console process (see the module's docstring)."""

    def setup(self):
        self.settings = load_settings(self.container.config)
        self.http = requests.Session()
        self._running, self._thread = False, None

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="webhook_courier")

    def stop(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.http.close()

    kill = stop

    def _database(self):
        for dependency in self.container.dependencies:
            if isinstance(dependency, DatabaseProvider):
                return dependency.database
        raise RuntimeError("WebhookCourier needs a DatabaseProvider in the same service")

    def clear_old_bodies(self) -> int:
        """Clear the bodies of deliveries settled more than ``WEBHOOK_BODY_KEEP_DAYS`` ago (one
        UPDATE: it clears all or, failing, nothing, and the next sweep tries again)."""
        before = utcnow() - timedelta(days=self.settings.webhook_body_keep_days)
        with self._database().transaction() as conn:
            cleared = store.clear_old_bodies(conn, before)
        if cleared:
            log.info("webhooks: cleared the bodies of %d old deliveries", cleared)
        return cleared

    def _run(self):
        next_sweep = 0.0
        while self._running:
            if time.monotonic() >= next_sweep:
                try:
                    self.clear_old_bodies()
                except Exception:  # the database away: at the next sweep
                    log.exception("clearing old webhook bodies failed; retrying later")
                next_sweep = time.monotonic() + SWEEP_SECONDS
            try:
                sent = self.deliver_once()
            except Exception:  # the database away: again later
                log.exception("webhook deliveries failed; retrying")
                sent = 0
            if sent < BATCH:
                eventlet.sleep(self.settings.webhook_poll_seconds)

    def deliver_once(self) -> int:
        """Up to ``BATCH`` due deliveries, one at a time: each claimed just before its attempt (a
        claim taken for a whole batch would lapse while the first ones were posted, and another
        console process would post the rest again); how many were tried."""
        tried = 0
        while tried < BATCH:
            now = utcnow()
            with self._database().transaction() as conn:
                due = store.claim_deliveries(conn, now, now + timedelta(seconds=claim_seconds(self.settings)), 1)
            if not due:
                break
            self._deliver(due[0])
            tried += 1
        return tried

    def _deliver(self, delivery):
        status_code, answer, started = None, "", time.monotonic()
        problem = webhooks.url_problem(delivery["url"], self.settings.webhook_allow_local_http)
        if problem is not None:
            answer = f"adresa odmítnuta: {problem}"
        else:
            raw = delivery["body"].encode("utf-8")
            headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "smopk-webhooks/1",
                       webhooks.SIGNATURE_HEADER: webhooks.signature(delivery["secret"], int(time.time()), raw),
                       "X-Smopk-Event": delivery["event_type"], "X-Smopk-Delivery": delivery["message_id"]}
            try:
                reply = self.http.post(delivery["url"], data=raw, headers=headers, allow_redirects=False,
                                       timeout=self.settings.webhook_timeout, stream=True)
                status_code = reply.status_code
                answer = reply.raw.read(webhooks.ANSWER_KEPT * 4, decode_content=True).decode("utf-8", "replace")
                reply.close()
            except requests.RequestException as error:
                answer = f"{type(error).__name__}: {error}"
        elapsed = int((time.monotonic() - started) * 1000)
        now = utcnow()
        with self._database().transaction() as conn:
            store.add_attempt(conn, {"delivery_id": delivery["id"], "at": now, "status_code": status_code,
                                     "duration_ms": elapsed, "answer": answer[:webhooks.ANSWER_KEPT]})
            if not store.still_claimed(conn, delivery["id"], delivery["claimed_until"]):
                # The claim lapsed and another process took the delivery: its outcome counts, not this one.
                log.warning("webhook %s: delivery %s took longer than its claim; its outcome is not counted",
                            delivery["webhook_id"], delivery["id"])
                return
            hook = store.get_webhook(conn, delivery["webhook_id"])
            paused = hook is not None and settle(conn, delivery, hook, now, status_code, self.settings)
        if status_code is None or not 200 <= status_code < 300:
            log.warning("webhook %s: delivery %s (%s) failed: %s %s", delivery["webhook_id"], delivery["id"],
                        delivery["event_type"], status_code, answer[:100])
        if paused:
            log.error("webhook %s (%s) paused after %d failures in a row", delivery["webhook_id"], delivery["url"],
                      self.settings.webhook_pause_after)
