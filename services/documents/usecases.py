"""The documents service's use cases around the office's text of the certificate (``texts.py``):
what the console lists and shows, saving a version, going back to the default, and which text a
certificate is made with."""
from services.common.errors import NotFound, ValidationError

from . import store, texts

SUBJECT = "Osvědčení o absolvování akreditovaného vzdělávacího programu (PDF)"


def _known(key):
    if key not in texts.keys():
        raise NotFound("text_not_found", "Takový text neznáme.")
    return key


def texts_overview(conn):
    """The certificate's text as the console lists it beside the emails': whether it is the
    office's own, which version, who saved it and when (the shape of notifications' list_texts)."""
    listed = []
    for key in texts.keys():
        active = store.active_text(conn, key)
        row = store.text_version(conn, key, active["version"]) if active is not None else None
        listed.append({"key": key, "subject": SUBJECT, "own": bool(row is not None and row["body"] is not None),
                       "version": row["version"] if row is not None else None,
                       "saved_by": row["created_by"] if row is not None else None,
                       "saved_at": row["created_at"].isoformat() if row is not None else None})
    return listed


def text_detail(conn, key):
    """The certificate's text as new certificates get it, its default, variables and history."""
    _known(key)
    active = store.active_text(conn, key)
    default = texts.default_body(key)
    own = bool(active is not None and active["body"] is not None)
    return {"key": key, "subject": SUBJECT, "body": active["body"] if own else default, "own": own,
            "version": active["version"] if active is not None else None,
            "default": default, "variables": texts.labelled(key), "blocks": list(texts.BLOCKS),
            "history": [{"version": row["version"], "default": row["body"] is None, "active": row["active"],
                         "body": row["body"], "created_by": row["created_by"],
                         "created_at": row["created_at"].isoformat()} for row in store.text_history(conn, key)]}


def checked(key, body):
    """``body`` as the certificate's text may be saved; otherwise a ValidationError in Czech."""
    _known(key)
    body = str(body or "").replace("\r\n", "\n")
    try:
        texts.check(key, body)
    except texts.TextRefused as refused:
        raise ValidationError({"body": refused.message}, refused.message) from None
    return body


def save_text(uow, key, body, by):
    """Save a new version (checked first): certificates issued from now on use it, those issued
    before keep theirs. Returns the new version."""
    body = checked(key, body)
    return store.add_text_version(uow.conn, key, body, str(by)[:254], uow.now)


def revert_text(uow, key, by):
    """Back to the default text: a version without a body, so the history says who and when.
    None when new certificates get the default already."""
    _known(key)
    active = store.active_text(uow.conn, key)
    if active is None or active["body"] is None:
        return None
    return store.add_text_version(uow.conn, key, None, str(by)[:254], uow.now)


def active_version(conn):
    """The version a certificate issued now records (None: never saved, the default)."""
    active = store.active_text(conn, texts.KEY)
    return active["version"] if active is not None else None


def text_of(conn, certificate):
    """The text a certificate is made with: the version active when it was issued (the default
    when None or a return to the default), whatever was saved since."""
    if certificate is None or certificate.get("text_version") is None:
        return texts.default_body()
    row = store.text_version(conn, texts.KEY, certificate["text_version"])
    return row["body"] if row is not None and row["body"] is not None else texts.default_body()
