"""The console's side of an event's own questions: staff define them on the event form, see the
answers in the attendee list and the export, and cannot remove a question somebody answered."""
import csv
import io

from tests.integration.test_console import console, csrf_of, logged_in  # noqa: F401 (the fixture)

EVENT = {"title": "Stavební zákon v praxi", "kind": "training", "topic": "stavební právo",
         "venue": "Plzeň, Škroupova 18", "starts": "2026-12-30T09:00", "ends": "2026-12-30T15:00", "capacity": "10",
         "price_member": "0", "price_non_member": "0", "lecturer": "", "description": "", "waitlist_enabled": "ano"}


def rows(*questions):
    """Question rows as the form posts them, ``q0_label`` and so on; one blank row after them."""
    posted = {}
    for number, question in enumerate([*questions, {}]):
        for part in ("id", "label", "type", "options"):
            posted[f"q{number}_{part}"] = question.get(part, "text" if part == "type" else "")
        if question.get("required"):
            posted[f"q{number}_required"] = "ano"
    return posted


STRAVA = {"label": "Strava", "type": "choice", "options": "běžná\r\nbezlepková\r\n", "required": True}
DOTAZ = {"label": "Dotaz na lektora", "type": "text"}


def test_staff_define_questions_on_the_form_and_read_the_answers(console):  # noqa: F811
    base, cluster, secrets = console[:3]
    office = logged_in(base, "staff", secrets)
    form = office.get(f"{base}/akce/nova")
    assert "Vlastní otázky v přihlášce" in form.text and 'name="q0_label"' in form.text  # one blank row
    assert "Klíč" not in form.text and 'name="q0_id" value=""' in form.text  # the key is made, not typed

    wrong = office.post(f"{base}/akce/nova", data=dict(EVENT, csrf=csrf_of(form), **rows(
        DOTAZ, dict(STRAVA, options="jen jedna"))))
    assert wrong.status_code == 422
    assert "Otázka č. 2, možnosti: Otázka s výběrem potřebuje aspoň dvě možnosti." in wrong.text
    assert 'value="Dotaz na lektora"' in wrong.text and ">jen jedna</textarea>" in wrong.text  # kept

    created = office.post(f"{base}/akce/nova", data=dict(EVENT, csrf=csrf_of(form), **rows(STRAVA, DOTAZ)))
    assert created.status_code == 200, created.text[:400]
    event_id = int(created.url.rsplit("/", 1)[1])
    assert cluster.registrations.get_event(event_id)["questions"] == [
        {"id": "strava", "label": "Strava", "type": "choice", "options": ["běžná", "bezlepková"], "required": True},
        {"id": "dotaz_na_lektora", "label": "Dotaz na lektora", "type": "text", "options": [], "required": False}]
    cluster.registrations.publish_event(event_id)
    cluster.registrations.register(event_id, {
        "first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.example", "organisation_name": "Obec",
        "gdpr_consent": True, "answers": {"strava": "bezlepková", "dotaz_na_lektora": "<i>Platí to i pro svazky?</i>"}})

    listing = office.get(f"{base}/akce/{event_id}")
    assert "<th>Odpovědi</th>" in listing.text and "Strava: bezlepková" in listing.text
    assert '<span class="question-answer">Strava: bezlepková' in listing.text  # not the door's big white .answer
    assert "Dotaz na lektora: &lt;i&gt;Platí to i pro svazky?&lt;/i&gt;" in listing.text
    exported = list(csv.reader(io.StringIO(office.get(f"{base}/akce/{event_id}/export.csv").text[1:]),
                               delimiter=";"))
    assert exported[0][-2:] == ["Strava", "Dotaz na lektora"]
    assert exported[1][-2:] == ["bezlepková", "<i>Platí to i pro svazky?</i>"]

    edit = office.get(f"{base}/akce/{event_id}/upravit")
    assert 'value="strava"' in edit.text and ">běžná\nbezlepková</textarea>" in edit.text
    removed = office.post(f"{base}/akce/{event_id}/upravit", data=dict(EVENT, csrf=csrf_of(edit), **rows(
        dict(DOTAZ, id="dotaz_na_lektora"))))
    assert removed.status_code == 409 and "Na otázku „Strava“ už někdo odpověděl" in removed.text
    assert 'name="q1_id" value="strava"' in removed.text  # it comes back to the form, with its key
    assert len(cluster.registrations.get_event(event_id)["questions"]) == 2
    relabelled = office.post(f"{base}/akce/{event_id}/upravit", data=dict(EVENT, csrf=csrf_of(edit), **rows(
        dict(STRAVA, id="strava", label="Jakou stravu?", options="běžná\nbezlepková\nveganská"),
        dict(DOTAZ, id="dotaz_na_lektora"))))
    assert relabelled.status_code == 200
    [strava, _dotaz] = cluster.registrations.get_event(event_id)["questions"]
    assert strava["label"] == "Jakou stravu?" and strava["options"] == ["běžná", "bezlepková", "veganská"]
