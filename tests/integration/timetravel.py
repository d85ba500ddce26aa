"""Time passes for an event: its times moved straight in the registrations database (no email
about a changed time, as an edit would send), so that tests can reach its start and its end."""
from datetime import datetime, timedelta

from sqlalchemy import update

from services.common.czech import PRAGUE
from services.common.db import Database
from services.registrations import store


def move_event(config, event_id, starts, hours=4):
    """The event (``hours`` long) starts at ``starts``; registration closed a day before."""
    database = Database(config["DATABASES"]["registrations"], store.metadata)
    with database.transaction() as tx:
        tx.execute(update(store.events).where(store.events.c.id == event_id).values(
            starts_at=starts, ends_at=starts + timedelta(hours=hours),
            registration_closes_at=starts - timedelta(days=1)))
    database.dispose()


def begun(config, event_id):
    """The event began an hour ago and runs three more hours: attendance can be marked."""
    move_event(config, event_id, datetime.now(PRAGUE) - timedelta(hours=1))


def ended(config, event_id):
    """The event ended an hour ago: certificates can be issued."""
    move_event(config, event_id, datetime.now(PRAGUE) - timedelta(hours=5))
