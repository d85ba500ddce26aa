"""Training records of officials and the annual report: plain rules, no nameko, no SQL.

Who counts as having attended is ``domain.attended``. A person is one email address
(compared as ``domain.email_key``) at one organisation (its IČO, or without one its name's
``orgname.organisation_key``, as for the organisation limit):
an official who moved to another municipality has a record at each employer.
"""
import unicodedata
from collections import Counter
from datetime import datetime

from services.common import czech
from services.common.errors import NotFound, ServiceError, ValidationError
from services.common.ico import ico_error
from services.common.orgname import registered_organisation
from services.common.spreadsheet import csv_text
from services.common.vocabulary import EventStatus, RegistrationStatus

from . import domain


class RecordForbidden(ServiceError):
    status = 403


def check_own_record(registration):
    """A person opens their record only from a registration they attended. A token proves only
    that somebody registered that address (anyone may type anyone's); attendance was seen by
    staff at the event, so the record of an address is not open to whoever registers it."""
    if not domain.attended(registration):
        raise RecordForbidden("record_not_available", "Evidenci vzdělávání lze otevřít jen z přihlášky na akci, "
                                                      "které jste se zúčastnili.")

NO_DISTRICT = "okres neuveden"
NO_ICO = "organizace bez IČO"
NO_ORGANISATION = "organizace neuvedena"

ENTRY_FIELDS = ("registration_id", "event_id", "title", "kind", "topic", "lecturer", "venue", "accreditation_number",
                "hours")


def year_bounds(year) -> tuple:
    """The year in Prague time as ``[start, end)``; refuses what is not a year."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = None
    if year is None or not 2000 <= year <= 2100:
        raise ValidationError({"year": "Zadejte rok, například 2026."}, "Zadejte rok, například 2026.")
    return (datetime(year, 1, 1, tzinfo=czech.PRAGUE), datetime(year + 1, 1, 1, tzinfo=czech.PRAGUE))


def checked_ico(ico) -> str:
    """``ico`` as given, or a Czech refusal when it is no IČO."""
    ico = str(ico or "").strip()
    problem = ico_error(ico)
    if problem:
        raise ValidationError({"ico": problem}, problem)
    return ico


def checked_email(email) -> str:
    email = str(email or "").strip()
    if "@" not in email or len(email) > 254:
        raise ValidationError({"email": "Zadejte e-mailovou adresu."}, "Zadejte e-mailovou adresu.")
    return email


def organisation_of(row) -> str:
    """The organisation a registration was made for (``orgname.registered_organisation``: its
    IČO, or its name's key), as the organisation limit tells organisations apart."""
    return registered_organisation(row["organisation_ico"], row["organisation_name"])


def person_key(row) -> tuple:
    return domain.email_key(row["email"]), organisation_of(row)


def _folded_words(text):
    plain = "".join(c for c in unicodedata.normalize("NFKD", str(text or "").casefold())
                    if not unicodedata.combining(c))
    return "".join(c if c.isalnum() or c in "@.-_+" else " " for c in plain).split()


def trainees(rows, query, limit=20) -> list:
    """The people with a record (``rows``: attended registrations, one a row) whom ``query``
    names: every word of it the start of a word of their name (diacritics and case aside, so
    "novak" finds "Nováková"), or a part of their email address. One entry a person (an address
    at an organisation, as in ``training_record``), by surname, with the number of events attended."""
    words = _folded_words(query)
    if not words or len(" ".join(words)) < 2:
        return []
    people = {}
    for row in rows:
        name = _folded_words(f"{row['first_name']} {row['last_name']}")
        email = domain.email_key(row["email"])
        if not (all(any(word.startswith(part) for word in name) for part in words)
                or (len(words) == 1 and words[0] in email)):
            continue
        person = people.setdefault(person_key(row), {"email": row["email"], "organisation_ico": row["organisation_ico"],
                                                     "organisation_name": row["organisation_name"], "events": 0})
        person.update(first_name=row["first_name"], last_name=row["last_name"], events=person["events"] + 1)
    ordered = sorted(people.values(), key=lambda p: (p["last_name"].casefold(), p["first_name"].casefold(),
                                                      domain.email_key(p["email"])))
    return ordered[:max(1, min(int(limit), 100))]


def hours_attended(row, event) -> int:
    """The hours a registration attended at ``event``: ``attended_hours`` (the hours of the
    sessions marked, ``domain.attended_hours``) as the use case adds it to the row; a row without
    it (attendance recorded before sessions were) attended the event's hours."""
    if "attended_hours" in row and row["attended_hours"] is not None:
        return int(row["attended_hours"])
    return int(event["hours"] or 0)


def _iso(moment):
    return czech.local(moment).isoformat() if moment is not None else None


def _entry(row, certificate_numbers):
    entry = {field: row[field] for field in ENTRY_FIELDS}
    entry.update(hours=hours_attended(row, row), event_hours=row["hours"], starts_at=_iso(row["starts_at"]),
                 ends_at=_iso(row["ends_at"]), attended_at=_iso(row["attended_at"]),
                 certificate_number=certificate_numbers.get(row["registration_id"]))
    return entry


def training_record(rows, certificate_numbers) -> dict:
    """People and what they attended, from ``rows`` (a registration joined with its event's facts);
    ``certificate_numbers``: registration id -> the number of its certificate, where one was issued.

    Accredited trainings (the event has an accreditation number) count towards the hours of the
    evidence under zákon č. 312/2002 Sb., each with the hours of the sessions the person attended
    (``hours_attended``), not the event's; other events attended are listed apart (``other_events``)
    and add no hours. Registrations not attended (``domain.attended``) are left out."""
    people = {}
    for row in sorted(rows, key=lambda r: (r["starts_at"], r["registration_id"])):
        if not domain.attended(row):
            continue
        person = people.setdefault(person_key(row), {
            "email": row["email"], "organisation_ico": row["organisation_ico"],
            "organisation_name": row["organisation_name"], "trainings": [], "other_events": [], "hours": 0})
        # the name as last given: a surname changed at marriage shows as it is now
        person.update(first_name=row["first_name"], last_name=row["last_name"])
        if row["organisation_name"]:
            person["organisation_name"] = row["organisation_name"]
        entry = _entry(row, certificate_numbers)
        if row["accreditation_number"]:
            person["trainings"].append(entry)
            person["hours"] += entry["hours"] or 0
        else:
            person["other_events"].append(entry)
    ordered = sorted(people.values(), key=lambda p: (p["last_name"].casefold(), p["first_name"].casefold(),
                                                      domain.email_key(p["email"]), p["organisation_name"] or ""))
    return {"people": ordered, "hours": sum(p["hours"] for p in ordered),
            "trainings": sum(len(p["trainings"]) for p in ordered)}


TRAINING_RECORD_HEADER = ["Příjmení", "Jméno", "E-mail", "Organizace", "IČO", "Akce", "Druh", "Téma", "Lektor",
                          "Začátek", "Konec", "Akreditováno", "Číslo akreditace", "Hodiny", "Číslo osvědčení",
                          "Účast potvrzena"]


def training_record_csv(record) -> str:
    """The record as CSV for the municipality's files: a row per event attended, accredited
    trainings first; a non-accredited event has no hours."""
    def rows():
        for person in record["people"]:
            for entry in person["trainings"] + person["other_events"]:
                accredited = bool(entry["accreditation_number"])
                yield [person["last_name"], person["first_name"], person["email"], person["organisation_name"] or "",
                       person["organisation_ico"] or "", entry["title"], czech.event_kind(entry["kind"]),
                       entry["topic"], entry["lecturer"] or "", _date_time(entry["starts_at"]),
                       _date_time(entry["ends_at"]), "ano" if accredited else "ne",
                       entry["accreditation_number"] or "", entry["hours"] if accredited else "",
                       entry["certificate_number"] or "", _date_time(entry["attended_at"])]
    return csv_text(TRAINING_RECORD_HEADER, rows())


def _date_time(iso):
    return czech.date_time(datetime.fromisoformat(iso)) if iso else ""


def attendance_rate(confirmed: int, attended: int):
    """Attended / confirmed, or None when nobody was confirmed."""
    return attended / confirmed if confirmed else None


def annual_report(year, events, registrations, organisations, now) -> dict:
    """The association's year for its general assembly.

    ``events``: the events starting in ``year`` (Prague time) that were published, held or
    cancelled (drafts are no events); ``registrations``: every registration of those events;
    ``organisations``: IČO -> the copy of the member register (``name``, ``district``).

    Rules: events by kind and topic, registrations and confirmed members count the events not
    cancelled. An event is held once it has ended (``ends_at <= now``); every figure about who
    came counts the held events only, so they agree with each other: attendees (by membership,
    district, organisation) are the attendances marked at held events, and the attendance rate
    is those attendees / the confirmed registrations of the held events whose attendance was
    recorded (at least one person marked). A held event where nobody took attendance says
    nothing about who came and is counted apart (``events_without_record``); attendance marked
    at an event that has not ended (the rules no longer allow it, old data may have it) is not
    counted, only told (``not_ended_marked``). Attendees are attendances: a person at three
    events counts three times. Accredited education, of held events with an accreditation
    number: hours taught (the sum of the programmes' hours) and person-hours (the hours each
    attendee attended, ``hours_attended``: a day missed of a course is not counted) apart."""
    live = [e for e in events if e["status"] != EventStatus.CANCELLED]
    held = [e for e in live if e["ends_at"] <= now]
    by_event = _registrations_by_event(live, registrations)
    attendees = [r for e in held for r in by_event.get(e["id"], []) if domain.attended(r)]
    return {
        "year": year,
        "events": _event_figures(events, live, held),
        "registrations": _registration_figures(by_event),
        "attendance": _attendance_figures(live, held, by_event, now),
        "members": _member_figures(by_event, attendees),
        "attendees": len(attendees),
        "districts": _ranked(Counter(_district(r, organisations) for r in attendees), "district"),
        "organisations": _organisation_figures(attendees, organisations),
        "accredited": _accredited_figures(held, by_event),
    }


def _registrations_by_event(live, registrations) -> dict:
    """Event id -> its registrations, of the events not cancelled (in the order given)."""
    live_ids = {e["id"] for e in live}
    by_event = {}
    for registration in registrations:
        if registration["event_id"] in live_ids:
            by_event.setdefault(registration["event_id"], []).append(registration)
    return by_event


def _event_figures(events, live, held) -> dict:
    """Events not cancelled, held and cancelled; by kind (known kinds in their order, then others) and topic."""
    kinds = Counter(e["kind"] for e in live)
    return {
        "total": len(live), "held": len(held),
        "cancelled": len(events) - len(live),
        "by_kind": [{"kind": kind, "label": czech.event_kind(kind), "count": kinds[kind]}
                    for kind in czech.EVENT_KINDS if kinds[kind]]
        + [{"kind": k, "label": k, "count": n} for k, n in sorted(kinds.items()) if k not in czech.EVENT_KINDS],
        "by_topic": _ranked(Counter(e["topic"] for e in live), "topic"),
    }


def _registration_figures(by_event) -> dict:
    """The registrations of the events not cancelled, by status."""
    statuses = Counter(r["status"] for rs in by_event.values() for r in rs)
    return {"total": sum(statuses.values()), "confirmed": statuses[RegistrationStatus.CONFIRMED],
            "waitlisted": statuses[RegistrationStatus.WAITLISTED], "cancelled": statuses[RegistrationStatus.CANCELLED]}


def _attendance_figures(live, held, by_event, now) -> dict:
    """The attendance rate over the held events whose attendance was recorded; the held events
    without a record, and attendance marked at events not ended, told apart."""
    attended = {e["id"]: sum(1 for r in by_event.get(e["id"], []) if domain.attended(r)) for e in live}
    recorded = [e for e in held if attended[e["id"]]]
    confirmed = sum(1 for e in recorded for r in by_event[e["id"]] if r["status"] == RegistrationStatus.CONFIRMED)
    counted = sum(attended[e["id"]] for e in recorded)  # every attendee is at a recorded event
    return {"events_held": len(held), "events_counted": len(recorded),
            "events_without_record": len(held) - len(recorded),
            "confirmed": confirmed, "attended": counted,
            "rate": attendance_rate(confirmed, counted),
            "not_ended_marked": sum(attended[e["id"]] for e in live if e["ends_at"] > now)}


def _member_figures(by_event, attendees) -> dict:
    """Members and non-members, among the confirmed (events not cancelled) and the attendees (held events)."""
    confirmed = [r for rs in by_event.values() for r in rs if r["status"] == RegistrationStatus.CONFIRMED]
    return {"confirmed_members": sum(1 for r in confirmed if r["is_member"]),
            "confirmed_non_members": sum(1 for r in confirmed if not r["is_member"]),
            "attended_members": sum(1 for r in attendees if r["is_member"]),
            "attended_non_members": sum(1 for r in attendees if not r["is_member"])}


def _organisation_figures(attendees, organisations) -> list:
    """Attendees by organisation (``organisation_of``), most first, each named as the register
    names it (else as last typed)."""
    by_organisation, names = Counter(), {}
    for r in attendees:
        key = organisation_of(r)
        by_organisation[key] += 1
        names[key] = _organisation_name(r, organisations)
    return [{"ico": key if key.isdigit() and len(key) == 8 else None, "name": names[key], "attendees": count}
            for key, count in sorted(by_organisation.items(), key=lambda item: (-item[1], names[item[0]].casefold()))]


def _accredited_figures(held, by_event) -> dict:
    """The held events with an accreditation number, in order: hours taught and person-hours."""
    accredited = []
    for event in sorted(held, key=lambda e: (e["starts_at"], e["id"])):
        if event["accreditation_number"]:
            attendees = [r for r in by_event.get(event["id"], []) if domain.attended(r)]
            accredited.append({"id": event["id"], "title": event["title"], "starts_at": _iso(event["starts_at"]),
                               "accreditation_number": event["accreditation_number"], "hours": event["hours"],
                               "attendees": len(attendees),
                               "person_hours": sum(hours_attended(r, event) for r in attendees)})
    return {"events": accredited, "events_held": len(accredited),
            "hours_taught": sum(e["hours"] for e in accredited),
            "person_hours": sum(e["person_hours"] for e in accredited)}


def _ranked(counter, name):
    return [{name: key, "count": count}
            for key, count in sorted(counter.items(), key=lambda item: (-item[1], item[0].casefold()))]


def _district(registration, organisations):
    if not registration["organisation_ico"]:
        return NO_ICO
    organisation = organisations.get(registration["organisation_ico"])
    return (organisation or {}).get("district") or NO_DISTRICT


def _organisation_name(registration, organisations):
    organisation = organisations.get(registration["organisation_ico"]) if registration["organisation_ico"] else None
    return (organisation or {}).get("name") or registration["organisation_name"] or NO_ORGANISATION


def annual_report_csv(report) -> str:
    """The report as CSV: one figure a row (section; item; value), for the assembly's tables."""
    events, registrations = report["events"], report["registrations"]
    attendance, members = report["attendance"], report["members"]
    rows = [("Akce", "celkem (bez zrušených)", events["total"]), ("Akce", "konané", events["held"]),
            ("Akce", "zrušené", events["cancelled"])]
    rows += [("Akce podle druhu", k["label"], k["count"]) for k in events["by_kind"]]
    rows += [("Akce podle tématu", t["topic"], t["count"]) for t in events["by_topic"]]
    rows += [("Přihlášky", "celkem", registrations["total"]), ("Přihlášky", "potvrzené", registrations["confirmed"]),
             ("Přihlášky", "na čekací listině", registrations["waitlisted"]),
             ("Přihlášky", "zrušené", registrations["cancelled"])]
    rows += [("Účast (jen konané akce)", "konané akce", attendance["events_held"]),
             ("Účast (jen konané akce)", "konané akce s evidencí účasti", attendance["events_counted"]),
             ("Účast (jen konané akce)", "konané akce bez evidence účasti", attendance["events_without_record"]),
             ("Účast (jen konané akce)", "potvrzené přihlášky na akcích s evidencí", attendance["confirmed"]),
             ("Účast (jen konané akce)", "účastníci (potvrzená účast)", attendance["attended"]),
             ("Účast (jen konané akce)", "míra účasti", czech.percent(attendance["rate"])),
             ("Účast (jen konané akce)", "nezapočtená účast u akcí, které ještě neskončily",
              attendance["not_ended_marked"])]
    rows += [("Členové a nečlenové", "potvrzení – členové", members["confirmed_members"]),
             ("Členové a nečlenové", "potvrzení – nečlenové", members["confirmed_non_members"]),
             ("Členové a nečlenové", "zúčastnění – členové", members["attended_members"]),
             ("Členové a nečlenové", "zúčastnění – nečlenové", members["attended_non_members"])]
    rows += [("Účastníci podle okresu", d["district"], d["count"]) for d in report["districts"]]
    rows += [("Účastníci podle organizace", o["name"] + (f" (IČO {o['ico']})" if o["ico"] else ""), o["attendees"])
             for o in report["organisations"]]
    accredited = report["accredited"]
    rows += [("Akreditované vzdělávání (konané akce)", f"{e['title']} ({e['accreditation_number']}): "
              f"{e['hours']} h, {e['attendees']} účastníků, osobohodiny", e["person_hours"])
             for e in accredited["events"]]
    rows += [("Akreditované vzdělávání (konané akce)", "konané akreditované akce", accredited["events_held"]),
             ("Akreditované vzdělávání (konané akce)", "odučené akreditované hodiny", accredited["hours_taught"]),
             ("Akreditované vzdělávání (konané akce)", "osobohodiny akreditovaného vzdělávání (hodiny × účastníci)",
              accredited["person_hours"])]
    return csv_text(["Oddíl", "Položka", "Hodnota"], rows)


# The yearly report to the Ministry of the Interior (zákon č. 312/2002 Sb., § 39; docs/certificates.md)

# What the Ministry's report asks for (as far as we could read it, docs/certificates.md) and the
# system does not hold: said on the report itself, on the page, in the PDF and in the CSV.
MINISTRY_NOT_HELD = (
    "druh vzdělávání podle § 18 zákona č. 312/2002 Sb. (vstupní, průběžné, příprava ke zkoušce zvláštní "
    "odborné způsobilosti, vzdělávání vedoucích úředníků); akce nese jen svůj druh v systému (školení, seminář, "
    "výměna zkušeností)",
    "platnost akreditace programu (datum rozhodnutí a konec platnosti); akce nese jen číslo akreditace",
    "zda je účastník úředníkem územního samosprávného celku podle § 2 zákona; systém vede jeho organizaci, "
    "ne pracovní zařazení",
    "identifikační údaje vzdělávací instituce pro ministerstvo (akreditace instituce, sídlo, kontaktní osoba)",
)
NOT_HELD_LABEL = "Údaj, který systém nevede"


def checked_accreditation(accreditation_number) -> str:
    """The accreditation number asked for, trimmed, or a Czech refusal when there is none."""
    number = str(accreditation_number or "").strip()
    if not number or len(number) > 60:
        raise ValidationError({"accreditation_number": "Vyberte číslo akreditace programu."},
                              "Vyberte číslo akreditace programu.")
    return number


def accreditation_numbers(numbers) -> list:
    """The accreditation numbers offered for a year: each once, trimmed, in order."""
    return sorted({str(n).strip() for n in numbers if n and str(n).strip()}, key=str.casefold)


def cancelled_registration(registration) -> bool:
    """A cancellation (storno) of a place at a run: the registration was cancelled, by the person,
    by staff, released unpaid or with its event. A seat handed to a substitute is not one: the
    substitute's own registration takes it (and counts if they attend); a waitlisted person who
    never had a seat and was not cancelled is neither a participant nor a cancellation."""
    return registration["status"] == RegistrationStatus.CANCELLED


def certificate_issued(registration) -> bool:
    """The registration's certificate was issued (``certificate_sent_at``, as ``domain.certificate_state``)."""
    return registration["certificate_sent_at"] is not None


def run_held(event, now) -> bool:
    """A run of the programme counts once it took place: not cancelled and ended."""
    return event["status"] != EventStatus.CANCELLED and event["ends_at"] <= now


def _run(event):
    schedule = czech.schedule(event)
    venues = []
    for item in schedule:
        if item["venue"] and item["venue"] not in venues:
            venues.append(item["venue"])
    return {"event_id": event["id"], "title": event["title"], "starts_at": _iso(event["starts_at"]),
            "ends_at": _iso(event["ends_at"]), "days": czech.days(schedule), "sessions": czech.sessions(event),
            "venue": "; ".join(venues), "lecturer": event["lecturer"] or "", "hours": event["hours"]}


def ministry_report(year, accreditation_number, events, registrations, now) -> dict:
    """One accredited programme's year for the report to the Ministry (§ 39 zákona č. 312/2002 Sb.).

    ``events``: the events of ``accreditation_number`` starting in ``year`` (Prague time) that
    were published or cancelled; ``registrations``: their registrations (``event_id``, ``status``,
    ``attended_at``, ``certificate_sent_at``), no person: the report counts, it names nobody.

    Rules: a run is an event of the programme that took place (``run_held``); a cancelled event is
    a cancelled run, listed apart with the registrations cancelled with it; one not yet ended is
    listed as upcoming and counts nowhere. At each run: participants are the registrations that
    attended (``domain.attended``, the evidence the certificates rest on), each a participation
    (one person at two runs is two); absent, the confirmed who did not; certificates, those issued
    (``certificate_issued``); cancellations, ``cancelled_registration``. Hours taught are the
    programme's hours once a run, person-hours the hours each participant attended
    (``hours_attended``: the sessions marked, a day missed of a course not counted). No event of the
    programme that year: ``NotFound``, in Czech."""
    if not events:
        raise NotFound("accreditation_not_found", f"V roce {year} nemá program s číslem akreditace "
                                                  f"„{accreditation_number}“ žádnou akci.")
    by_event = {}
    for registration in registrations:
        by_event.setdefault(registration["event_id"], []).append(registration)
    ordered = sorted(events, key=lambda e: (e["starts_at"], e["id"]))
    runs, cancelled, upcoming = [], [], []
    for event in ordered:
        mine = by_event.get(event["id"], [])
        if event["status"] == EventStatus.CANCELLED:
            cancelled.append(dict(_run(event), cancellations=sum(1 for r in mine if cancelled_registration(r))))
        elif not run_held(event, now):
            upcoming.append(_run(event))
        else:
            attended = [r for r in mine if domain.attended(r)]
            confirmed = sum(1 for r in mine if r["status"] == RegistrationStatus.CONFIRMED)
            runs.append(dict(_run(event), confirmed=confirmed, participants=len(attended),
                             absent=confirmed - len(attended),
                             certificates=sum(1 for r in attended if certificate_issued(r)),
                             cancellations=sum(1 for r in mine if cancelled_registration(r)),
                             person_hours=sum(hours_attended(r, event) for r in attended)))
    titles = []
    for event in ordered:
        if event["title"] not in titles:
            titles.append(event["title"])
    return {
        "year": year, "accreditation_number": accreditation_number, "titles": titles,
        "runs": runs, "cancelled_runs": cancelled, "upcoming_runs": upcoming,
        "totals": {"runs": len(runs), "cancelled_runs": len(cancelled), "upcoming_runs": len(upcoming),
                   "hours_taught": sum(r["hours"] for r in runs),
                   "confirmed": sum(r["confirmed"] for r in runs),
                   "participants": sum(r["participants"] for r in runs),
                   "absent": sum(r["absent"] for r in runs),
                   "certificates": sum(r["certificates"] for r in runs),
                   "cancellations": sum(r["cancellations"] for r in runs),
                   "cancellations_with_runs": sum(r["cancellations"] for r in cancelled),
                   "person_hours": sum(r["person_hours"] for r in runs)},
        "not_held": [f"{NOT_HELD_LABEL}: {item}." for item in MINISTRY_NOT_HELD],
        "as_of": _iso(now),
    }


MINISTRY_REPORT_HEADER = ["Řádek", "Číslo akreditace", "Program", "Termín", "Začátek", "Konec", "Místo", "Lektor",
                          "Hodiny", "Potvrzené přihlášky", "Účastníci", "Neúčast", "Vydaná osvědčení",
                          "Zrušené přihlášky", "Osobohodiny"]


def ministry_report_csv(report) -> str:
    """The report as CSV for Czech Excel: a row a run (``Řádek`` says which: ``běh``, ``zrušený
    běh``, ``dosud nekonaný běh``), the totals (``celkem``), then each thing the system does not
    hold (``Údaj, který systém nevede``, said in ``Program``)."""
    number = report["accreditation_number"]

    def run_row(kind, run, counts):
        return [kind, number, run["title"], run["days"], _date_time(run["starts_at"]), _date_time(run["ends_at"]),
                run["venue"], run["lecturer"], run["hours"], *counts]

    def rows():
        for run in report["runs"]:
            yield run_row("běh", run, [run["confirmed"], run["participants"], run["absent"], run["certificates"],
                                       run["cancellations"], run["person_hours"]])
        for run in report["cancelled_runs"]:
            yield run_row("zrušený běh", run, ["", "", "", "", run["cancellations"], ""])
        for run in report["upcoming_runs"]:
            yield run_row("dosud nekonaný běh", run, ["", "", "", "", "", ""])
        totals = report["totals"]
        yield ["celkem", number, f"běhů: {totals['runs']}, zrušených běhů: {totals['cancelled_runs']}", "", "", "",
               "", "", totals["hours_taught"], totals["confirmed"], totals["participants"], totals["absent"],
               totals["certificates"], totals["cancellations"], totals["person_hours"]]
        for line in report["not_held"]:
            yield [NOT_HELD_LABEL, number, line.removeprefix(f"{NOT_HELD_LABEL}: ")] + [""] * 12
    return csv_text(MINISTRY_REPORT_HEADER, rows())
