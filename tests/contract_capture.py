"""A pytest plugin for the contract test: every payload a use case gives the outbox, with its
envelope, appended as a JSON line to the file named by ``CAPTURE_OUTBOX``."""
import json
import os

from services.common import contracts

_check = contracts.check


def _capturing_check(event_type, payload):
    with open(os.environ["CAPTURE_OUTBOX"], "a", encoding="utf-8") as captured:
        captured.write(json.dumps({"event_type": event_type, "payload": payload}) + "\n")
    return _check(event_type, payload)


contracts.check = _capturing_check
