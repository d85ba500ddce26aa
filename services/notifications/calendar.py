"""The calendar entries attached to the emails: built in ``services.common.calendar``, which the
registrations' manage page uses too (the same UIDs for the same registration)."""
from services.common.calendar import entry_uid, ics

__all__ = ["entry_uid", "ics"]
