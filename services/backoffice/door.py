"""The door without a signal: what the door's phone keeps to decide offline, and where it sends
the check-ins it queued once the connection returns.

Thin: the registrations service makes the list (hashes of the ticket codes and the names, never
a code or the signing key) and decides each queued check-in (the first admission counts, a
second one is a conflict staff see on the door page and the event's page). The service worker
(``static/door_sw.js``, served as ``/vstup/sw.js`` so that its scope is the door) keeps the page
and its scripts for when there is no signal.
"""
import json
import os

from werkzeug.wrappers import Response

from services.common.errors import NotFound, ValidationError
from services.common.vocabulary import DoorResult

from . import forms
from .domain import StaffRole
from .web import SECURITY_HEADERS, page

SERVICE_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static", "door_sw.js")


def json_response(body, status=200):
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8", headers=SECURITY_HEADERS)


class DoorPages:
    """Mixed into the console service (``door``): it needs ``registrations`` and ``_audited``."""

    @page("GET", "/vstup/<int:event_id>/seznam.json", StaffRole.DOOR)
    def door_list(self, request, event_id):
        """The day's list of valid tickets for the phone to keep (``registrations.door_list``)."""
        return json_response(self.registrations.door_list(event_id))

    @page("POST", "/vstup/<int:event_id>/fronta", StaffRole.DOOR)
    def door_queue(self, request, event_id):
        """The check-ins a phone queued offline (form fields ``device`` and ``items``): one
        answer per item, and the event's conflicts as they stand after them. A refused batch
        answers JSON with a code and a Czech message, and writes nothing."""
        try:
            batch = forms.door_batch(request.form, request.account["name"])
            with self._audited(request, "checked_in_offline", {"event_id": event_id, "device": batch["device"],
                                                               "sent": len(batch["items"])
                                                               if isinstance(batch["items"], list) else 0}) as entry:
                results = self.registrations.door_batch(event_id, batch)
                entry.details["registration_ids"] = sorted({r["registration_id"] for r in results
                                                            if r["result"] == DoorResult.ADMITTED})
        except ValidationError as error:
            return json_response({"error": error.code, "message": "Odbavení z telefonu nelze přijmout: "
                                  + "; ".join(str(m) for m in error.fields.values()), "fields": error.fields}, 422)
        except NotFound as error:
            return json_response({"error": error.code, "message": error.message}, 404)
        return json_response({"results": results, "conflicts": self.registrations.door_conflicts(event_id)})

    @page("GET", "/vstup/sw.js", None)
    def door_service_worker(self, request):
        """The door's service worker, from the door's own path so that it may serve the door's pages."""
        with open(SERVICE_WORKER, "rb") as script:
            return Response(script.read(), content_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/vstup/"})
