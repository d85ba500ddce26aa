"""A client of the ISDS web services (data boxes), built with zeep from the operator's published
WSDL and XSD files vendored in ``isds/`` (see its README for their source and version).

Three endpoints under ``ISDS_URL`` (production ``https://ws1.mojedatovaschranka.cz/``, the test
environment ``https://ws1.czebox.cz/``; with a system certificate the ``ws1c`` hosts and the
``cert/`` prefix, e.g. ``https://ws1c.mojedatovaschranka.cz/cert/``):

- ``DS/df`` (db_search.wsdl): ``FindDataBox`` finds an organisation's box by its IČO;
- ``DS/dz`` (dm_operations.wsdl): ``CreateMessage`` sends a message;
- ``DS/dx`` (dm_info.wsdl): ``GetListOfSentMessages`` (is a message already there, after a
  time-out?) and ``GetDeliveryInfo`` (the delivery note: ``dmDeliveryTime``, ``dmAcceptanceTime``).

Failures come out as two exceptions: ``Unavailable`` (a time-out, the network, an HTTP or SOAP
error: may pass, try again later) and ``Refused`` (ISDS answered, and will not take this message:
do not try again, fall back to email)."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
import zeep
from zeep.transports import Transport

DEFINITIONS = Path(__file__).parent / "isds"
NAMESPACE = "{http://isds.czechpoint.cz/v20}"
ENDPOINTS = {  # wsdl file, binding, path under ISDS_URL
    "search": ("db_search.wsdl", "DataBoxSearchBinding", "DS/df"),
    "operations": ("dm_operations.wsdl", "dmOperationsBinding", "DS/dz"),
    "info": ("dm_info.wsdl", "dmInfoBinding", "DS/dx"),
}
OK = "0000"
# FindDataBox's status codes for "no box matches" (the operator's description of the services,
# as libisds reads them); an empty ``dbResults`` with "0000" means the same.
NOT_FOUND = frozenset({"0002", "5001"})
ACTIVE = 1  # dbState: the box is accessible and takes messages (dbTypes.xsd, tDbOwnerInfo)


class IsdsError(Exception):
    pass


class Unavailable(IsdsError):
    """No answer, or no usable one: try again later (the message may or may not have arrived)."""


class Refused(IsdsError):
    """ISDS answered and will not deliver this message: ``code`` and its ``text``."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code, self.text = code, text


@dataclass(frozen=True)
class Box:
    box_id: str
    box_type: str
    name: str
    state: int | None
    effective_ovm: bool
    open_addressing: bool

    @property
    def is_public_body(self) -> bool:
        return self.box_type.startswith("OVM") or self.effective_ovm


@dataclass(frozen=True)
class Delivery:
    status: int | None
    delivery_time: datetime | None
    acceptance_time: datetime | None


class IsdsClient:
    def __init__(self, url: str, username: str | None = None, password: str | None = None,
                 cert: str | None = None, key: str | None = None, timeout: float = 30) -> None:
        session = requests.Session()
        if cert:
            session.cert = (cert, key) if key else cert
        if username:
            session.auth = (username, password or "")
        self._transport = Transport(session=session, timeout=timeout, operation_timeout=timeout)
        self._url = url.rstrip("/") + "/"
        self._services: dict[str, Any] = {}

    def _service(self, name: str) -> Any:
        if name not in self._services:
            wsdl, binding, path = ENDPOINTS[name]
            client = zeep.Client(str(DEFINITIONS / wsdl), transport=self._transport)
            self._services[name] = client.create_service(NAMESPACE + binding, self._url + path)
        return self._services[name]

    def _call(self, service: str, operation: str, **values: Any) -> Any:
        try:
            return getattr(self._service(service), operation)(**values)
        except (requests.RequestException, zeep.exceptions.Error, OSError) as error:
            raise Unavailable(f"{operation}: {error}") from error

    def find_box(self, ico: str) -> Box | None:
        """The organisation's own box (a legal person's or a public body's) with IČO ``ico``."""
        answer = self._call("search", "FindDataBox", dbOwnerInfo={"ic": ico})
        status = answer.dbStatus
        if status.dbStatusCode in NOT_FOUND:
            return None
        if status.dbStatusCode != OK:
            raise Unavailable(f"FindDataBox: {status.dbStatusCode} {status.dbStatusMessage}")
        found = _items(answer.dbResults, "dbOwnerInfo")
        if not found:
            return None
        owner = found[0]
        return Box(box_id=owner.dbID, box_type=str(owner.dbType or ""), name=owner.firmName or "",
                   state=owner.dbState, effective_ovm=bool(owner.dbEffectiveOVM),
                   open_addressing=bool(owner.dbOpenAddressing))

    def send(self, box_id: str, annotation: str, sender_ref: str,
             files: Sequence[tuple[str, str, bytes]], as_public_body: bool) -> str:
        """Send ``files`` (name, MIME type, content; the first is the main document) to ``box_id``;
        the message's ``dmID``. ``sender_ref`` (``dmSenderRefNumber``) makes it findable again."""
        envelope = {"dbIDRecipient": box_id, "dmAnnotation": annotation[:255], "dmSenderRefNumber": sender_ref,
                    "dmOVM": as_public_body, "dmPublishOwnID": False, "dmAllowSubstDelivery": True,
                    "dmPersonalDelivery": False}
        dm_files = {"dmFile": [
            {"dmEncodedContent": content, "dmMimeType": mime, "dmFileDescr": name,
             "dmFileMetaType": "main" if index == 0 else "enclosure"}
            for index, (name, mime, content) in enumerate(files)]}
        answer = self._call("operations", "CreateMessage", dmEnvelope=envelope, dmFiles=dm_files)
        if answer.dmStatus.dmStatusCode != OK or not answer.dmID:
            raise Refused(answer.dmStatus.dmStatusCode, answer.dmStatus.dmStatusMessage)
        return str(answer.dmID)

    def find_sent(self, sender_ref: str, since: datetime, until: datetime) -> str | None:
        """The ``dmID`` of a message sent between ``since`` and ``until`` with ``sender_ref``, if any."""
        answer = self._call("info", "GetListOfSentMessages", dmFromTime=since, dmToTime=until,
                            dmStatusFilter="-1", dmOffset=1, dmLimit=1000)
        if answer.dmStatus.dmStatusCode != OK:
            raise Unavailable(f"GetListOfSentMessages: {answer.dmStatus.dmStatusCode} "
                              f"{answer.dmStatus.dmStatusMessage}")
        for record in _items(answer.dmRecords, "dmRecord"):
            if record.dmSenderRefNumber == sender_ref:
                return str(record.dmID)
        return None

    def delivery_info(self, dm_id: str) -> Delivery:
        """The delivery note of a sent message: when it was delivered and accepted (None until then)."""
        answer = self._call("info", "GetDeliveryInfo", dmID=dm_id)
        if answer.dmStatus.dmStatusCode != OK or answer.dmDelivery is None:
            raise Unavailable(f"GetDeliveryInfo: {answer.dmStatus.dmStatusCode} {answer.dmStatus.dmStatusMessage}")
        delivery = answer.dmDelivery
        return Delivery(status=delivery.dmMessageStatus, delivery_time=delivery.dmDeliveryTime,
                        acceptance_time=delivery.dmAcceptanceTime)


def _items(array: Any, name: str) -> list[Any]:
    """The items of an ISDS array type (a repeated sequence of one element: zeep's ``_value_1``)."""
    if array is None:
        return []
    return [item[name] if isinstance(item, dict) else getattr(item, name) for item in array["_value_1"] or []]
