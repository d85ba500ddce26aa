"""The door finds a person who forgot the ticket by name and asks before a ticket of another day;
the event form's question rows, the draft's page with its settings and public preview, and
publishing, deleting and cancelling, each asked first and told afterwards."""
import re
from datetime import datetime, timedelta

import pytest
import requests

from services.common.czech import PRAGUE
from services.common.errors import NotFound
from services.common.schemas import without_diacritics
from tests.integration.test_console import console, csrf_of, logged_in  # noqa: F401 (the fixture)
from tests.integration.test_system import published_event


def person(first, last, organisation="Obec Chotěšov"):
    return {"first_name": first, "last_name": last, "email": f"{without_diacritics(last).lower()}@obec.example",
            "organisation_name": organisation, "gdpr_consent": True}


def today_event(cluster, **overrides):
    """An event starting in ten minutes: today, and still taking registrations."""
    start = datetime.now(PRAGUE).replace(second=0, microsecond=0) + timedelta(minutes=10)
    event = cluster.registrations.create_event({
        "title": "GDPR v obci", "kind": "seminar", "topic": "GDPR", "venue": "Plzeň", "capacity": 2,
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(),
        "price_member": 0, "price_non_member": 0, **overrides})
    return cluster.registrations.publish_event(event["id"])


def test_the_door_admits_a_person_without_a_ticket_found_by_name(console):  # noqa: F811
    base, cluster, secrets = console[:3]
    event = today_event(cluster)
    jana, jan = (cluster.registrations.register(event["id"], person(*name)) for name in (
        ("Jana", "Nováková"), ("Jan", "Novák", "Město Stod")))
    cluster.registrations.register(event["id"], person("Eva", "Nováčková"))  # waitlisted: not found
    door = logged_in(base, "door", secrets)

    page = door.get(f"{base}/vstup/{event['id']}")
    assert re.search(r"<title>Vstup: GDPR v obci · Konzole SMOPK</title>", page.text)  # no script in it
    assert page.text.count('<script src="/static/jsQR.js"></script>') == 1
    found = door.get(f"{base}/vstup/{event['id']}", params={"jmeno": "NOVA"})
    assert "Nováková Jana" in found.text and "Obec Chotěšov" in found.text and "Novák Jan" in found.text
    assert "Město Stod" in found.text and "Nováčková" not in found.text
    assert "nikdo takový není" in door.get(f"{base}/vstup/{event['id']}", params={"jmeno": "svoboda"}).text

    token = csrf_of(page)
    asked = door.post(f"{base}/vstup/{event['id']}/bez-vstupenky", data={"csrf": token,
                                                                         "registration_id": jana["id"]})
    assert asked.status_code == 200
    assert "Vpustit Jana Nováková (Obec Chotěšov) bez vstupenky?" in asked.text
    assert cluster.registrations.get_registration(jana["id"])["checked_in_at"] is None  # asked, not done
    admitted = door.post(f"{base}/vstup/{event['id']}/bez-vstupenky", data={
        "csrf": token, "registration_id": jana["id"], "confirmed": "ano"})
    assert "Vstup povolen: Jana Nováková" in admitted.text and "bez vstupenky" in admitted.text
    assert "Uvnitř 1 z 2" in admitted.text
    again = door.post(f"{base}/vstup/{event['id']}/bez-vstupenky", data={  # refused at once, not asked
        "csrf": token, "registration_id": jana["id"]})
    assert again.status_code == 409 and "Jana Nováková už byl(a) odbaven(a) (" in again.text
    listed = door.get(f"{base}/vstup/{event['id']}", params={"jmeno": "nováková"}).text
    assert "uvnitř od" in listed and f'name="registration_id" value="{jana["id"]}"' not in listed
    other = today_event(cluster, title="Jiná akce")
    assert door.post(f"{base}/vstup/{other['id']}/bez-vstupenky", data={
        "csrf": token, "registration_id": jan["id"]}).status_code == 404  # not a registration of that event

    admin = logged_in(base, "admin", secrets)
    assert "odbaven účastník bez vstupenky" in admin.get(f"{base}/audit").text


def test_a_person_found_by_name_days_before_the_event_is_admitted_only_when_staff_say_yes(console):  # noqa: F811
    base, cluster, secrets = console[:3]
    event = published_event(cluster, capacity=5, price_non_member=0)  # ten days ahead
    jana = cluster.registrations.register(event["id"], person("Jana", "Nováková"))
    day = datetime.fromisoformat(event["starts_at"])
    door = logged_in(base, "door", secrets)
    token = csrf_of(door.get(f"{base}/vstup/{event['id']}"))
    warned = door.post(f"{base}/vstup/{event['id']}/bez-vstupenky", data={
        "csrf": token, "registration_id": jana["id"], "confirmed": "ano"})
    assert warned.status_code == 409
    assert f"Akce je až {day.day}. {day.month}. {day.year} – opravdu vpustit?" in warned.text
    assert 'name="jiny_den" value="ano"' in warned.text and "Ano, přesto vpustit" in warned.text
    assert cluster.registrations.get_registration(jana["id"])["checked_in_at"] is None
    admitted = door.post(f"{base}/vstup/{event['id']}/bez-vstupenky", data={
        "csrf": token, "registration_id": jana["id"], "confirmed": "ano", "jiny_den": "ano"})
    assert "Vstup povolen: Jana Nováková" in admitted.text

    eva = cluster.registrations.register(event["id"], person("Eva", "Malá"))
    ticket = door.post(f"{base}/vstup/{event['id']}", data={"csrf": token, "code": eva["ticket_code"]})
    assert ticket.status_code == 409 and "opravdu vpustit?" in ticket.text
    assert f'name="code" value="{eva["ticket_code"]}"' in ticket.text  # the second tap sends the code again
    admin = logged_in(base, "admin", secrets)
    assert "mimo dny akce: ano" in admin.get(f"{base}/audit").text


EVENT = {"title": "Stavební zákon v praxi", "kind": "training", "topic": "stavební právo",
         "venue": "Plzeň, Škroupova 18", "starts": "2026-12-30T09:00", "ends": "2026-12-30T15:00", "capacity": "12",
         "price_member": "300", "price_non_member": "900", "lecturer": "Ing. Eva Malá", "description": "Novela.",
         "max_per_organisation": "3", "accreditation_number": "AK/PV-5/2026", "hours": "6",
         "release_unpaid_after_days": "14", "waitlist_enabled": "ano", "collects_birth_date": "ano"}


def test_question_rows_come_and_go_and_the_draft_shows_every_setting_and_its_preview(console):  # noqa: F811
    base, cluster, secrets = console[:3]
    office = logged_in(base, "staff", secrets)
    form = office.get(f"{base}/akce/nova")
    token = csrf_of(form)
    assert form.text.count('<fieldset class="question"') == 2  # one row, and the template for a new one
    assert '<label for="q0_required">Povinná otázka</label>' in form.text and "Klíč" not in form.text
    assert '<script src="/static/event_form.js"></script>' in form.text
    # Without JavaScript: "Přidat otázku" shows the form again with one more row, nothing saved.
    typed = dict(EVENT, csrf=token, q0_id="", q0_label="Strava", q0_type="choice", q0_options="běžná\nbezlepková",
                 q0_required="ano")
    more = office.post(f"{base}/akce/nova", data=dict(typed, pridat_otazku="ano"))
    assert more.status_code == 200 and 'name="q1_label" value=""' in more.text
    assert 'value="Strava"' in more.text and 'value="Stavební zákon v praxi"' in more.text
    assert cluster.registrations.list_events(include_past=True) == []
    three = dict(typed, q1_id="", q1_label="Dotaz na lektora", q1_type="text", q1_options="",
                 q4_id="", q4_label="Parkování", q4_type="yes_no", q4_options="")  # a gap: a row removed in the page
    fewer = office.post(f"{base}/akce/nova", data=dict(three, odebrat_otazku="1"))
    assert "Dotaz na lektora" not in fewer.text and 'name="q1_label" value="Parkování"' in fewer.text

    created = office.post(f"{base}/akce/nova", data=three)
    assert created.status_code == 200 and created.url.rsplit("/", 1)[1].isdigit(), created.text[:300]
    assert "Koncept akce „Stavební zákon v praxi“ je uložený." in created.text
    event_id = int(created.url.rsplit("/", 1)[1])
    assert [(q["id"], q["required"]) for q in cluster.registrations.get_event(event_id)["questions"]] == [
        ("strava", True), ("dotaz_na_lektora", False), ("parkovani", False)]
    page = created.text
    for shown in ("Ing. Eva Malá", "pro členy 300", "pro ostatní 900", "nejvýše 3 osob", "AK/PV-5/2026, 6 h",
                  "uvolnit po 14 dnech", "ano, když se zaplní místa", "ptát se (uvádí se na osvědčení)",
                  "Strava (jedna z možností: běžná, bezlepková; povinná)", "Parkování (ano / ne)", "Novela.",
                  "Náhled veřejné stránky", "Nebezpečné akce", "Smazat koncept", "prezenčně"):
        assert shown in page, shown
    assert "Zrušit akci" not in page

    preview = office.get(f"{base}/akce/{event_id}/nahled", allow_redirects=False)
    assert preview.status_code == 303 and "?nahled=" in preview.headers["Location"]
    public = requests.get(preview.headers["Location"])
    assert public.status_code == 200 and "Stavební zákon v praxi" in public.text
    assert "Náhled pro pracovníky sdružení" in public.text and "Strava" in public.text
    assert re.search(r'<button type="submit" disabled>Odeslat přihlášku</button>', public.text)
    assert public.headers["X-Robots-Tag"] == "noindex"
    assert requests.get(f"{console[3]}/events/{event_id}").status_code == 404  # not without the signature
    forged = preview.headers["Location"][:-4] + "0000"
    assert requests.get(forged).status_code == 404

    edit = office.get(f"{base}/akce/{event_id}/upravit")
    assert 'name="q0_id" value="strava"' in edit.text and "Klíč" not in edit.text
    saved = office.post(f"{base}/akce/{event_id}/upravit", data=dict(three, csrf=csrf_of(edit), capacity="15",
                                                                     q0_id="strava", q1_id="dotaz_na_lektora",
                                                                     q4_id="parkovani", q0_label="Jakou stravu?"))
    assert "Změny akce „Stavební zákon v praxi“ jsou uložené: počet míst, otázky." in saved.text
    assert cluster.registrations.get_event(event_id)["questions"][0]["id"] == "strava"  # relabelled, same key

    asked = office.post(f"{base}/akce/{event_id}/smazat", data={"csrf": token})
    assert "Smazat koncept „Stavební zákon v praxi“?" in asked.text
    cluster.registrations.get_event(event_id)  # still there
    deleted = office.post(f"{base}/akce/{event_id}/smazat", data={"csrf": token, "confirmed": "ano"})
    assert deleted.url.endswith("/akce?ktere=koncepty")
    assert "Koncept „Stavební zákon v praxi“ je smazaný." in deleted.text
    with pytest.raises(NotFound):
        cluster.registrations.get_event(event_id)


def test_cancelling_a_published_event_names_who_is_emailed_first(console):  # noqa: F811
    base, cluster, secrets = console[:3]
    event = published_event(cluster, capacity=2, price_non_member=0)
    for first, last in (("Jana", "Nováková"), ("Jan", "Novák"), ("Eva", "Malá")):
        cluster.registrations.register(event["id"], person(first, last))
    office = logged_in(base, "staff", secrets)
    page = office.get(f"{base}/akce/{event['id']}")
    danger = page.text[page.text.index("Nebezpečné akce"):]
    assert "Zrušit akci" in danger and "Smazat koncept" not in page.text
    assert office.post(f"{base}/akce/{event['id']}/smazat", data={"csrf": csrf_of(page), "confirmed": "ano"}
                       ).status_code == 409  # a published event is never deleted
    asked = office.post(f"{base}/akce/{event['id']}/zrusit", data={"csrf": csrf_of(page),
                                                                   "reason": "Lektor onemocněl."})
    assert f"Zrušit akci „{event['title']}“?" in asked.text
    assert "2 přihlášení a 1 na čekací listině dostanou e-mail s důvodem: „Lektor onemocněl.“" in asked.text
    assert cluster.registrations.get_event(event["id"])["status"] == "published"
    done = office.post(f"{base}/akce/{event['id']}/zrusit", data={"csrf": csrf_of(page), "confirmed": "ano",
                                                                  "reason": "Lektor onemocněl."})
    assert f"Akce „{event['title']}“ je zrušená. E-mail s důvodem odchází: 3 osoby." in done.text
    assert cluster.registrations.get_event(event["id"])["status"] == "cancelled"


def test_both_sites_have_a_favicon(console):  # noqa: F811
    base, public = console[0], console[3]
    for site in (base, public):
        for path in ("/favicon.ico", "/static/favicon.svg"):
            icon = requests.get(site + path)
            assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml"), (site, path)
            assert icon.text.startswith("<svg")
        assert '<link rel="icon" href="/static/favicon.svg"' in requests.get(
            site + ("/prihlaseni" if site == base else "/")).text
