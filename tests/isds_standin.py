"""A local stand-in for the ISDS web services, answering as the vendored WSDL and XSD describe.

Requests are read, and answers written, by zeep from services/notifications/isds/: each answer
is the operation's output message serialized from the definitions (zeep refuses a shape they do
not describe), so the client is tested against what ISDS's definitions say, not against itself."""
import base64
import itertools
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import zeep
from lxml import etree

from services.notifications.isds import DEFINITIONS, ENDPOINTS, NAMESPACE

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"


class IsdsStandIn:
    def __init__(self):
        self.boxes = {}  # IČO -> dbOwnerInfo fields
        self.sent = []  # dicts: dmID, box, annotation, ref, files, at
        self.delivery = {}  # dmID -> (delivery time, acceptance time)
        self.create_status = None  # a (code, text) CreateMessage answers instead of taking the message
        self.stall_next_create = 0.0  # seconds to sleep after taking the next message (a time-out)
        self.stall_every_call = 0.0  # seconds to sleep before answering anything, with a 503 (an outage)
        self.calls = []
        self._ids = itertools.count(1000001)
        self._bindings = {}
        for wsdl, binding, path in ENDPOINTS.values():
            client = zeep.Client(str(DEFINITIONS / wsdl))
            self._bindings["/" + path] = client.wsdl.bindings[NAMESPACE + binding]

    def add_box(self, ico, box_id, db_type="OVM", state=1, open_addressing=False, effective_ovm=False):
        self.boxes[ico] = {"dbID": box_id, "dbType": db_type, "ic": ico, "firmName": f"Schránka {ico}",
                           "dbState": state, "dbEffectiveOVM": effective_ovm, "dbOpenAddressing": open_addressing}

    def start(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = standin.answer(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path, body):
        binding = self._bindings[path]
        envelope = etree.fromstring(body)
        request = envelope.find(f"{SOAP}Body")[0]
        name = etree.QName(request).localname
        operation = binding.get(name)
        values = operation.input.deserialize(envelope)
        self.calls.append(name)
        if self.stall_every_call:
            time.sleep(self.stall_every_call)
            return 503, b"unavailable"
        result = getattr(self, name)(values)
        if name == "CreateMessage" and self.stall_next_create:
            pause, self.stall_next_create = self.stall_next_create, 0.0
            time.sleep(pause)
        serialized = operation.output.serialize(**result)
        return 200, etree.tostring(serialized.content, xml_declaration=True, encoding="utf-8")

    # The operations (their answers as the definitions' output messages)

    def FindDataBox(self, values):
        box = self.boxes.get(values.ic if hasattr(values, "ic") else values.dbOwnerInfo.ic)
        if box is None:
            return {"dbResults": None, "dbStatus": {"dbStatusCode": "0002", "dbStatusMessage": "Nenalezeno"}}
        return {"dbResults": {"_value_1": [{"dbOwnerInfo": box}]},
                "dbStatus": {"dbStatusCode": "0000", "dbStatusMessage": "OK"}}

    def CreateMessage(self, values):
        if self.create_status:
            code, text = self.create_status
            return {"dmID": None, "dmStatus": {"dmStatusCode": code, "dmStatusMessage": text}}
        envelope = values.dmEnvelope
        dm_id = str(next(self._ids))
        self.sent.append({"dmID": dm_id, "box": envelope.dbIDRecipient, "annotation": envelope.dmAnnotation,
                          "ref": envelope.dmSenderRefNumber,
                          "files": [(f.dmFileDescr, f.dmMimeType, f.dmEncodedContent) for f in values.dmFiles.dmFile],
                          "at": datetime.now(UTC)})
        self.delivery[dm_id] = (None, None)
        return {"dmID": dm_id, "dmStatus": {"dmStatusCode": "0000", "dmStatusMessage": "Provedeno úspěšně."}}

    def GetListOfSentMessages(self, values):
        records = [_record(message) for message in self.sent]
        return {"dmRecords": {"_value_1": [{"dmRecord": r} for r in records]},
                "dmStatus": {"dmStatusCode": "0000", "dmStatusMessage": "OK"}}

    def GetDeliveryInfo(self, values):
        dm_id = values if isinstance(values, str) else values.dmID
        message = next(m for m in self.sent if m["dmID"] == dm_id)
        delivered, accepted = self.delivery[dm_id]
        status = 6 if accepted else 4 if delivered else 2
        delivery = {"dmDm": _envelope(message), "dmHash": {"_value_1": b"hash", "algorithm": "SHA-256"},
                    "dmQTimestamp": b"ts", "dmDeliveryTime": delivered, "dmAcceptanceTime": accepted,
                    "dmMessageStatus": status, "dmEvents": {"_value_1": []}}
        return {"dmDelivery": delivery, "dmStatus": {"dmStatusCode": "0000", "dmStatusMessage": "OK"}}


def _envelope(message):
    return {"dmID": message["dmID"], "dbIDSender": "abc1234", "dmSender": "Sdružení", "dmSenderAddress": "Plzeň",
            "dmSenderType": 10, "dmRecipient": "Obec", "dmRecipientAddress": "Obec", "dmAmbiguousRecipient": None,
            "dbIDRecipient": message["box"], "dmAnnotation": message["annotation"],
            "dmSenderRefNumber": message["ref"]}


def _record(message):
    return dict(_envelope(message), dmOrdinal=1, dmMessageStatus=2, dmAttachmentSize=1,
                dmDeliveryTime=None, dmAcceptanceTime=None)


def encoded(content):
    return base64.b64encode(content).decode()
