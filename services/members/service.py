"""The members service: the association's register of organisations and membership."""
from datetime import date

from nameko.rpc import rpc

from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED, ValidationError
from services.common.outbox import OutboxRelay

from . import store, usecases
from .domain import ico_error
from .schemas import OrganisationIn, OrganisationOut


def _date(value, field):
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Zadejte datum ve tvaru RRRR-MM-DD."}) from None


def _ico(value):
    error = ico_error(value)
    if error:
        raise ValidationError({"ico": error})
    return value


class MembersService:
    name = "members"

    db = DatabaseProvider(store.metadata)
    outbox = OutboxRelay(store.outbox)

    @rpc(expected_exceptions=EXPECTED)
    def upsert_organisation(self, data):
        request = OrganisationIn().load_or_raise(data)
        with self.db.transaction() as tx:
            organisation = usecases.upsert_organisation(tx, self.outbox, request)
        return OrganisationOut().dump(organisation)

    @rpc(expected_exceptions=EXPECTED)
    def get_organisation(self, ico):
        with self.db.transaction() as tx:
            organisation = usecases.get_organisation(tx, _ico(ico))
            return OrganisationOut().dump(organisation)

    @rpc(expected_exceptions=EXPECTED)
    def find_organisations(self, query, limit=10):
        with self.db.transaction() as tx:
            return OrganisationOut(many=True).dump(usecases.find_organisations(tx, str(query), int(limit)))

    @rpc(expected_exceptions=EXPECTED)
    def is_member(self, ico, on_date=None):
        with self.db.transaction() as tx:
            return usecases.is_member(tx, _ico(ico), _date(on_date, "on_date"))

    @rpc(expected_exceptions=EXPECTED)
    def list_members(self, on_date=None):
        with self.db.transaction() as tx:
            return OrganisationOut(many=True).dump(usecases.list_members(tx, _date(on_date, "on_date")))

    @rpc(expected_exceptions=EXPECTED)
    def membership_register(self):
        with self.db.transaction() as tx:
            return OrganisationOut(many=True).dump(usecases.membership_register(tx))

    @rpc(expected_exceptions=EXPECTED)
    def end_membership(self, ico, on_date):
        with self.db.transaction() as tx:
            organisation = usecases.end_membership(tx, self.outbox, _ico(ico), _date(on_date, "on_date"))
        return OrganisationOut().dump(organisation)
