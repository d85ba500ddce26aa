"""A data-protection request across every service: what the system holds about a person, and
its erasure. Used from `make shell` (``export_person(email)``, ``erase_person(email)``).

``rpc`` is the shell's ``n.rpc`` (or a ``ClusterRpcProxy``). Each step is safe to run again, so a
request that stopped halfway (a service away) is finished by running it once more.
"""


def export_person(rpc, email):
    """Everything every service holds about ``email``, as one dictionary."""
    registrations = rpc.registrations.export_person(email)["registrations"]
    return {
        "email": email,
        "registrations": registrations,
        "certificates": rpc.documents.export_person([r["id"] for r in registrations])["certificates"],
        "emails": rpc.notifications.export_person(email)["messages"],
        "member_contacts": rpc.members.export_person(email)["contacts"],
        "payments": rpc.payments.export_person(email)["payments"],
    }


def erase_person(rpc, email):
    """Erase ``email`` everywhere: registrations (cancelled when the event is still to come, then
    anonymised, their events and kept answers deleted), emails, member contacts, payment requests
    (anonymised), the holder's name in the register of certificates. Certificate numbers stay in
    the documents register, with their dates and programme; they no longer lead to a name (the
    verification page says the register no longer keeps the holder). Invoices and bank lines are
    accounting records the law asks to keep: they stay."""
    registrations = rpc.registrations.erase_person(email)
    return {
        "email": email,
        "registrations_anonymised": len(registrations["registration_ids"]),
        "certificate_holders_erased": rpc.documents.erase_holders(registrations["registration_ids"])["holders_erased"],
        "events_deleted": registrations["events_deleted"],
        "emails_deleted": rpc.notifications.erase_person(email)["messages_deleted"],
        "member_contacts_deleted": rpc.members.erase_person(email)["erased_contacts"],
        "payments_anonymised": rpc.payments.erase_person(email)["requests_anonymised"],
    }
