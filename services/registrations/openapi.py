"""The OpenAPI 3 document of the JSON API, generated from the marshmallow schemas."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from services.common.vocabulary import LookupStatus

from .schemas import (
    ColleaguesIn,
    EventOut,
    FeedbackIn,
    QuestionOut,
    RegistrationIn,
    RegistrationOut,
    SessionOut,
    SubstituteIn,
)


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "stable code, e.g. event_full"})
    message = fields.String(required=True, metadata={"description": "a Czech sentence for people"})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String())


class EventList(Schema):
    events = fields.List(fields.Nested(EventOut), required=True)


class ColleaguesOut(Schema):
    registrations = fields.List(fields.Nested(RegistrationOut(exclude=("event",))), required=True)
    event = fields.Nested(EventOut, required=True)


class OrganisationOut(Schema):
    ico = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class OrganisationLookup(Schema):
    ico = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(tuple(LookupStatus)),
                           metadata={"description": "unavailable: the register or ARES did not answer in time"})
    source = fields.String(allow_none=True, metadata={"description": "register (the association's) or ares"})
    name = fields.String(allow_none=True)
    address = fields.String(allow_none=True, metadata={"description": "the seat on one line, Czech style"})
    dic = fields.String(allow_none=True)
    message = fields.String(allow_none=True, metadata={"description": "a Czech sentence when not found"})


class OrganisationList(Schema):
    organisations = fields.List(fields.Nested(OrganisationOut), required=True)


class TrainingEntryOut(Schema):
    registration_id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    topic = fields.String(required=True)
    lecturer = fields.String(allow_none=True)
    venue = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})
    ends_at = fields.String(required=True)
    attended_at = fields.String(required=True)
    accreditation_number = fields.String(allow_none=True, metadata={"description": "null: not accredited"})
    hours = fields.Integer(required=True)
    certificate_number = fields.String(allow_none=True, metadata={"description": "null: not issued (yet)"})


class TrainingPersonOut(Schema):
    email = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    organisation_ico = fields.String(allow_none=True)
    organisation_name = fields.String(allow_none=True)
    trainings = fields.List(fields.Nested(TrainingEntryOut), required=True,
                            metadata={"description": "accredited trainings attended"})
    other_events = fields.List(fields.Nested(TrainingEntryOut), required=True,
                               metadata={"description": "events without accreditation: no hours"})
    hours = fields.Integer(required=True)


class TrainingRecordOut(Schema):
    email = fields.String(required=True)
    people = fields.List(fields.Nested(TrainingPersonOut), required=True,
                         metadata={"description": "one per organisation the person came for"})
    hours = fields.Integer(required=True)
    trainings = fields.Integer(required=True)


class MaterialOut(Schema):
    id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    created_at = fields.String(required=True)
    url = fields.String(required=True)


class MaterialList(Schema):
    event_id = fields.Integer(required=True)
    title = fields.String(required=True)
    materials = fields.List(fields.Nested(MaterialOut), required=True)


class FeedbackSaved(Schema):
    status = fields.String(required=True)


class CertificateCheckOut(Schema):
    number = fields.String(required=True, metadata={"description": "as printed, e.g. 2026/0001"})
    valid = fields.Boolean(required=True, metadata={"description": "an issued certificate is never withdrawn"})
    issued_on = fields.String(required=True, metadata={"description": "ISO 8601 date"})
    duplicate_issued_on = fields.String(allow_none=True, metadata={"description": "the last duplicate's date"})
    programme = fields.String(allow_none=True, metadata={"description": "null: a certificate issued before the "
                                                                        "register kept it"})
    accreditation_number = fields.String(allow_none=True)
    held_on = fields.String(allow_none=True, metadata={"description": "the date or days, as on the certificate"})
    hours = fields.Integer(allow_none=True, metadata={"description": "teaching hours"})
    holder_known = fields.Boolean(required=True, metadata={
        "description": "false: the register no longer keeps the holder (CERTIFICATES_KEEP_YEARS, or erased)"})
    holder_initials = fields.String(allow_none=True, metadata={"description": "e.g. J. N."})
    name_checked = fields.Boolean(required=True)
    name_matches = fields.Boolean(allow_none=True, metadata={"description": "null unless a name was given"})


class HolderCheckIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the holder's first name and surname, as on the certificate"})


def _errors(*statuses):
    return {str(status): {"description": "refused", "content": {"application/json": {"schema": "Error"}}}
            for status in statuses}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def build(base_url):
    spec = APISpec(title="Semináře SMOPK – registrace", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], servers=[{"url": base_url}])
    for name, schema in (("Error", ErrorOut), ("Session", SessionOut), ("Question", QuestionOut),
                         ("Event", EventOut), ("EventList", EventList),
                         ("RegistrationRequest", RegistrationIn), ("Registration", RegistrationOut),
                         ("SubstituteRequest", SubstituteIn),
                         ("OrganisationList", OrganisationList), ("TrainingRecord", TrainingRecordOut),
                         ("OrganisationLookup", OrganisationLookup), ("ColleaguesRequest", ColleaguesIn),
                         ("Colleagues", ColleaguesOut), ("MaterialList", MaterialList),
                         ("FeedbackRequest", FeedbackIn), ("FeedbackSaved", FeedbackSaved),
                         ("CertificateCheck", CertificateCheckOut), ("HolderCheckRequest", HolderCheckIn)):
        spec.components.schema(name, schema=schema)
    event_id = {"name": "event_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}
    token = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
    spec.path(path="/api/events", operations={"get": {
        "summary": "Published events that have not ended, soonest first", "responses": {"200": _json("EventList")}}})
    spec.path(path="/api/events/{event_id}", operations={"get": {
        "parameters": [event_id], "responses": {"200": _json("Event"), **_errors(404)}}})
    spec.path(path="/api/events/{event_id}/registrations", operations={"post": {
        "summary": "Register one person",
        "parameters": [event_id, {"name": "Idempotency-Key", "in": "header", "required": False,
                                  "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "RegistrationRequest"}}},
        "responses": {"201": _json("Registration", "registered: confirmed or waitlisted"),
                      **_errors(400, 404, 409, 413, 415, 422)}}})
    spec.path(path="/api/events/{event_id}/group-registrations", operations={"post": {
        "summary": "Register several colleagues of one organisation, all or none",
        "description": "Each attendee gets their own registration, ticket and email; the registrant gets one "
                       "summary with every manage link. Past the organisation's limit the group is refused "
                       "whole (409), unless waitlist_rest: then the rest go on the waitlist.",
        "parameters": [event_id, {"name": "Idempotency-Key", "in": "header", "required": False,
                                  "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "ColleaguesRequest"}}},
        "responses": {"201": _json("Colleagues", "registered: each confirmed or waitlisted"),
                      **_errors(400, 404, 409, 413, 415, 422)}}})
    spec.path(path="/api/registrations/{token}", operations={"get": {
        "parameters": [token], "responses": {"200": _json("Registration"), **_errors(404)}}})
    spec.path(path="/api/registrations/{token}/cancel", operations={"post": {
        "parameters": [token], "responses": {"200": _json("Registration"), **_errors(404, 409)}}})
    spec.path(path="/api/registrations/{token}/substitute", operations={"post": {
        "summary": "Hand the confirmed seat to a substitute (a colleague of the same organisation)",
        "description": "The seat is kept; the old ticket stops being valid. Answers the substitute's new "
                       "registration, with its own token. Refused (409) after check-in, once the event has "
                       "started, for a cancelled or waitlisted registration, or for an email already registered.",
        "parameters": [token],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "SubstituteRequest"}}},
        "responses": {"201": _json("Registration", "the substitute's registration"),
                      **_errors(400, 404, 409, 413, 415, 422, 429)}}})
    spec.path(path="/api/registrations/{token}/invoice", operations={"post": {
        "summary": "An invoice to the organisation (chci fakturu na organizaci)",
        "description": "One invoice for every unpaid, not yet invoiced registration of the organisation for "
                       "the event (one variable symbol, one payment), emailed as PDF and ISDOC; asked again, "
                       "the same invoice. Answers the registration, whose payment names the invoice. Refused "
                       "(404) when nothing is to be paid, (409) once paid or cancelled.",
        "parameters": [token], "responses": {"200": _json("Registration"), **_errors(404, 409)}}})
    spec.path(path="/api/registrations/{token}/ticket.pdf", operations={"get": {
        "parameters": [token], "responses": {
            "200": {"description": "the PDF ticket", "content": {"application/pdf": {"schema": {
                "type": "string", "format": "binary"}}}}, **_errors(404)}}})
    spec.path(path="/api/registrations/{token}/training-record", operations={"get": {
        "summary": "The person's own training record (accredited trainings, hours, certificate numbers)",
        "parameters": [token], "responses": {"200": _json("TrainingRecord"), **_errors(404)}}})
    spec.path(path="/api/organisations", operations={"get": {
        "summary": "Organisations of the register for the form's autocomplete",
        "parameters": [{"name": "q", "in": "query", "required": False, "schema": {"type": "string"}}],
        "responses": {"200": _json("OrganisationList")}}})
    spec.path(path="/api/organisations/{ico}", operations={"get": {
        "summary": "Name, address and DIČ by IČO: the register, else ARES; never slows the form",
        "parameters": [{"name": "ico", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _json("OrganisationLookup"), **_errors(422, 429)}}})
    certificate = [{"name": "year", "in": "path", "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 9999}},
                   {"name": "number", "in": "path", "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 99999999},
                    "description": "the certificate's number within its year: 2026/0001 is year 2026, number 1"}]
    spec.path(path="/api/certificates/{year}/{number}", operations={"get": {
        "summary": "Verify a certificate: issued and valid, its programme, date, hours and the holder's initials",
        "parameters": certificate, "responses": {"200": _json("CertificateCheck"), **_errors(404, 429)}}})
    spec.path(path="/api/certificates/{year}/{number}/holder", operations={"post": {
        "summary": "Whether a name is the certificate holder's (name_matches); the name is never told",
        "description": "Names are compared in Unicode NFC, case folded, with runs of white space as one; "
                       "first name first or surname first; diacritics count.",
        "parameters": certificate,
        "requestBody": {"required": True, "content": {"application/json": {"schema": "HolderCheckRequest"}}},
        "responses": {"200": _json("CertificateCheck"), **_errors(400, 404, 413, 415, 422, 429)}}})
    signed = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "the signed token of the personal link from the email; it expires (410 link_expired) "
                             "MATERIALS_LINK_DAYS (materials) or FEEDBACK_LINK_DAYS (feedback) days after the "
                             "event's end"}
    expired = {"410": {"description": "link_expired: the personal link has expired (a Czech message says whom "
                                      "to ask)", "content": {"application/json": {"schema": "Error"}}}}
    spec.path(path="/api/materials/{token}", operations={"get": {
        "summary": "The materials of an event, for someone who attended (the link from the email)",
        "parameters": [signed], "responses": {"200": _json("MaterialList"), **_errors(403, 404), **expired}}})
    spec.path(path="/api/feedback/{token}", operations={"post": {
        "summary": "Answer the feedback questionnaire, once per attendee",
        "parameters": [signed],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "FeedbackRequest"}}},
        "responses": {"201": _json("FeedbackSaved", "saved"), **_errors(400, 403, 404, 409, 413, 415, 422),
                      **expired}}})
    return spec.to_dict()
