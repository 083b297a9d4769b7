"""The decision stage: candidates are proposed generously and flagged, then kept or dropped (and
given a count) by the shipped model; the hand rules decide when no model or no resolver is given.
Sentences here are our own."""
from __future__ import annotations

import json

import pytest

from services.extraction import train_decision
from services.extraction.evaluation import Pipeline
from services.extraction.nlp.engine.decision import MODEL_FILE, DecisionModel, rule_decision
from services.extraction.nlp.engine.model import Candidate, Place


@pytest.fixture(scope="module")
def learned() -> Pipeline:
    return Pipeline()


@pytest.fixture(scope="module")
def rules() -> Pipeline:
    return Pipeline(decision=False)


def _events(pipeline: Pipeline, lang: str, text: str) -> list[tuple]:
    events = pipeline({"id": "d", "text": text, "language": lang})
    return [(e["type"], e["location"]["name"], e["count"]) for e in events]


def test_the_shipped_model_loads_and_records_its_cross_validated_figures():
    model = DecisionModel.load()
    assert model is not None and model.counts is not None
    assert 0.0 < model.events.threshold < 1.0 and model.events.weights
    meta = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["meta"]
    assert meta["command"] == "make decision-model"
    assert 0.0 < meta["cross_validated"]["corpus"]["event_f1"] <= 1.0


def test_without_a_model_file_the_hand_rules_decide(tmp_path):
    assert DecisionModel.load(tmp_path / "missing.json") is None
    (tmp_path / "old.json").write_text(json.dumps({"format": 0}))
    with pytest.raises(ValueError, match="make decision-model"):
        DecisionModel.load(tmp_path / "old.json")


def test_the_hand_rules_drop_what_they_flag():
    place = Place(0, 5, "Kursk", "Kursk", "city")
    kept = Candidate("impact", "uav", place, 0, (0, 0))
    flagged = [Candidate("impact", "uav", place, 0, (0, 0), excluded="origin"),
               Candidate("impact", "uav", place, 0, (0, 0), absorbed=True),
               Candidate("attack", "uav", place, 0, (0, 0), outcome_elsewhere=True)]
    assert rule_decision([kept, *flagged]) == [kept]


def test_a_count_after_the_verb_belongs_to_the_place_before_it(learned):
    text = "В Курской области сбиты семь беспилотников, в Белгородской области — четыре, сообщило Минобороны."
    assert sorted(_events(learned, "ru", text)) == [("interception", "Belgorod Oblast", 4),
                                                    ("interception", "Kursk Oblast", 7)]


def test_an_attack_whose_outcome_is_reported_inside_the_city_is_no_event_of_its_own(learned):
    text = ("Russian forces attacked Kharkiv with drones. A drone hit a warehouse in the Kyivskyi district, "
            "injuring two people.")
    assert _events(learned, "en", text) == [("impact", "Kyivskyi District, Kharkiv", 1)]


def test_strikes_on_a_region_with_no_weapon_named_are_an_impact_there(learned, rules):
    text = "У Сумській області ворог завдав 14 ударів по громадах, постраждалих немає."
    assert _events(rules, "uk", text) == []
    assert [(t, p) for t, p, _ in _events(learned, "uk", text)] == [("impact", "Sumy Oblast")]


def test_folds_keep_the_reports_of_one_incident_together():
    reports = [{"group": g} for g in ("a", "a", "b", "c", "c", "c", "d", "e", "f", "g")]
    fold_of = train_decision.folds(reports, 3)
    assert fold_of[0] == fold_of[1] and fold_of[3] == fold_of[4] == fold_of[5]
    assert set(fold_of) == {0, 1, 2}


def test_training_learns_the_sign_of_a_clear_feature():
    rows = train_decision.Rows()
    for i in range(40):
        good = i % 2 == 0
        rows.x.append({"rules_keep": 1.0} if good else {"set_aside_origin": 1.0})
        rows.y.append(int(good))
        rows.owner.append(i)
    model = train_decision.fit(rows)
    assert model.events.weights["rules_keep"] > 0 > model.events.weights["set_aside_origin"]
    assert model.counts is None


def test_the_keep_threshold_is_the_one_that_scores_best_through_the_whole_decision(monkeypatch):
    """Inner cross-validation through the pipeline (model, counts, granularity) on our own corpus:
    the threshold chosen is the grid's best by event F1 over the held-out inner folds."""
    from services.extraction.evaluation import DEFAULT_CORPUS

    recorder = train_decision.Recorder()
    pipeline = Pipeline(decide=recorder, decision=False)
    reports = train_decision.load_reports(None, DEFAULT_CORPUS)[:48]
    rows = train_decision.record(pipeline, recorder, reports, None)
    scores = {}
    real_matched = train_decision._matched

    def spy(rep, pred, scorer):
        out = real_matched(rep, pred, scorer)
        t = recorder.decider.events.threshold
        tp, n_pred, n_gold = scores.get(t, (0, 0, 0))
        scores[t] = (tp + out[0], n_pred + out[1], n_gold + out[2])
        return out

    monkeypatch.setattr(train_decision, "_matched", spy)
    model = train_decision.tuned(pipeline, recorder, reports, rows, list(range(len(reports))), None)
    assert set(scores) == set(train_decision.THRESHOLDS)
    best = max(train_decision._f1(*v) for v in scores.values())
    assert train_decision._f1(*scores[model.events.threshold]) == best
    assert sum(v[2] for v in scores.values()) == len(train_decision.THRESHOLDS) * sum(len(r["gold"]) for r in reports)


def test_a_region_restated_by_the_districts_inside_it_gives_no_event_of_its_own(learned):
    text = ("Ночью над Воронежской областью работала ПВО. Губернатор сообщил, что беспилотники уничтожены "
            "над Лискинским и Россошанским районами.")
    places = {p for _, p, _ in _events(learned, "ru", text)}
    assert places == {"Liskinsky District", "Rossoshansky District"}


def test_a_region_with_its_own_count_keeps_its_event_beside_the_places_inside_it(learned):
    text = ("Air defences destroyed 12 drones over the Belgorod region overnight; debris of one fell on a "
            "house in the village of Maslova Pristan.")
    events = _events(learned, "en", text)
    assert ("interception", "Belgorod Oblast", 12) in events


def test_an_attack_that_killed_someone_is_an_impact_there(rules):
    text = "В Грайвороне беспилотник атаковал грузовик, водитель погиб."
    assert [(t, p) for t, p, _ in _events(rules, "ru", text)] == [("impact", "Grayvoron")]


def test_an_adjectival_surname_before_a_plural_descriptor_is_a_district(rules):
    text = "Беспилотники уничтожены над Каменским и Тарасовским районами Ростовской области."
    places = {p for _, p, _ in _events(rules, "ru", text)}
    assert {"Kamensky District", "Tarasovsky District"} <= places


def test_a_place_inside_quotation_marks_is_part_of_a_name():
    from services.extraction.nlp.engine.decision import _quoted

    text = 'Староста розповів «Суспільне Полтава», що дрон влучив у склад у Полтаві.'
    inside = text.index("Полтава»")
    outside = text.rindex("Полтаві")
    assert _quoted(text, inside, inside + len("Полтава"))
    assert not _quoted(text, outside, outside + len("Полтаві"))
    quoted = 'The "Kursk" plant said a drone hit a warehouse near Kursk.'
    assert _quoted(quoted, 5, 10) and not _quoted(quoted, quoted.rindex("Kursk"), len(quoted) - 1)


def test_reports_of_one_incident_share_a_fold_group_transitively(tmp_path, monkeypatch):
    """The incident gold file's groups and related pairs join reports, through shared reports too."""
    gold = tmp_path / "incidents.yaml"
    gold.write_text("groups:\n  - {id: g1, events: ['c#0', 'b#0']}\n  - {id: g2, events: ['b#1', 'a#2']}\n"
                    "related:\n  - {reports: [e, d]}\n", encoding="utf-8")
    monkeypatch.setattr(train_decision, "INCIDENT_GOLD", gold)
    groups = train_decision._incident_groups()
    assert groups["a"] == groups["b"] == groups["c"]
    assert groups["d"] == groups["e"] != groups["a"]
    assert "f" not in groups  # a report in no group is its own (load_reports falls back to its id)


@pytest.mark.parametrize("decider", ["learned", "rules"])
def test_a_launch_area_list_makes_every_item_a_launch_area(decider, request):
    """The origin word stands before the first item only; the rest of the list is launch areas too
    (the rules set them all aside, so the hand rules alone keep none of them either)."""
    for text in ("Уночі ворог атакував Полтавщину ударними БпЛА, запускаючи їх з напрямків Курськ, Брянськ і "
                 "Міллерово. Уламки впали в Кременчуцькому районі.",
                 "Уночі ворог атакував Полтавщину ударними БпЛА, запускаючи їх з напрямків Курськ, Орел, Міллерово, "
                 "Брянськ, Шаталово. Уламки впали в Кременчуцькому районі."):
        places = {name for _t, name, _c in _events(request.getfixturevalue(decider), "uk", text)}
        assert not places & {"Kursk", "Oryol", "Bryansk", "Millerovo", "Shatalovo"}, places


def test_a_region_event_that_restates_the_district_inside_it_is_left_out(learned):
    """One drone over the region is the one over its district: one event, at the district."""
    text = ("Над Тверской областью сбит беспилотник. Как сообщил губернатор, беспилотник сбит над "
            "Кашинским районом, пострадавших нет.")
    events = _events(learned, "ru", text)
    assert [(t, name) for t, name, _c in events] == [("interception", "Kashinsky District")], events


def test_a_region_count_larger_than_its_districts_stays_its_own_event(learned):
    text = ("Над Тверской областью сбиты шесть беспилотников, из них два — над Кашинским районом.")
    names = {name for _t, name, _c in _events(learned, "ru", text)}
    assert "Tver Oblast" in names, names


def test_a_city_event_that_restates_its_street_is_one_event_at_the_street(learned):
    """Granularity holds at every level that contains another: the one drone that hit the city is
    the one that hit the street, which takes its count."""
    text = "A drone hit Belgorod overnight. The drone struck a house on Shchorsa Street, damaging its roof."
    assert _events(learned, "en", text) == [("impact", "Shchorsa Street, Belgorod", 1)]


@pytest.mark.parametrize(("text", "expected"), [
    # the toll said for the city is the street's: one event, at the street, with the toll
    ("A drone attack on Lipetsk injured two people overnight. The drone struck a house on Zegeles Street.",
     [("impact", "Zegeles Street, Lipetsk", 1, 2)]),
    # the city's toll is more than its district's: both events stay
    ("Shelling of Kherson injured seven people during the day. In the Dniprovskyi district of the city, "
     "a drone hit a car, injuring two.",
     [("impact", "Dniprovskyi District, Kherson", 1, 2), ("impact", "Kherson", None, 7)]),
])
def test_a_containing_place_keeps_only_figures_the_places_inside_cannot_account_for(learned, text, expected):
    events = learned({"id": "d", "text": text, "language": "en"})
    assert sorted((e["type"], e["location"]["name"], e["count"], e["injured"]) for e in events) == expected


def test_a_raion_event_that_restates_its_hromada_is_left_out():
    """A hromada lies inside its raion: the raion's event without figures of its own goes."""
    from types import SimpleNamespace

    from services.extraction.nlp.engine.decision import Context, granularity

    raion = Place(0, 15, "Nikopol district", "Nikopol district", "district")
    hromada = Place(40, 58, "Marhanets hromada", "Marhanets hromada", "hromada")
    coarse = Candidate("impact", "artillery", raion, 0, (0, 0))
    fine = Candidate("impact", "artillery", hromada, 1, (1, 0))
    where = {id(raion): SimpleNamespace(precision="admin2", admin1_code="UA-12", name="Nikopol Raion",
                                        admin2="Nikopol Raion", city=None),
             id(hromada): SimpleNamespace(precision="admin2", admin1_code="UA-12", name="Marhanets Hromada",
                                          admin2="Nikopol Raion", city=None)}
    ctx = Context(text="", sentences=[], grammar=None, locations=where)  # type: ignore[arg-type]
    assert granularity([coarse, fine], ctx) == [fine]


def test_a_sentence_without_a_place_happens_at_the_last_scene_not_at_an_officials_jurisdiction(rules):
    text = ("Debris of a downed drone damaged a house in Lgov overnight. The governor of the Kursk region, "
            "Ivan Petrov, reported the attack. He said three drones had been destroyed on approach.")
    places = {name for _t, name, _c in _events(rules, "en", text)}
    assert "Kursk Oblast" not in places, places


@pytest.mark.parametrize(("lang", "text", "name"), [
    ("en", "Kyiv says it will strike enemy targets at ever greater distances with its own drones.", "Kyiv"),
    ("ru", "Киев заявил, что будет наносить удары дронами по целям всё дальше.", "Киев"),
])
def test_a_capital_that_speaks_is_its_government_not_a_scene(rules, lang, text, name):
    places = [p.text for p in rules.extractor.extract(article_id="t", text=text, title=None, language=lang,
                                                      published_at=None).places]
    assert name not in places, places


def test_a_descriptor_word_before_a_full_stop_names_nothing_in_the_next_sentence(rules):
    """"на вулиці. Чоловік ...": "вулиці" is a whole word ending its sentence, not "вул." before a name."""
    text = ("У Дніпровському районі Херсона дрон скинув вибухівку на чоловіка, коли той був на вулиці. "
            "Чоловік отримав поранення.")
    places = [p.text for p in rules.extractor.extract(article_id="t", text=text, title=None, language="uk",
                                                      published_at=None).places]
    assert not any("Чоловік" in p for p in places), places


@pytest.mark.parametrize(("lang", "text", "river"), [
    ("uk", "Під обстрілами опиняються села вздовж ріки Дніпро, зокрема біля Херсона, куди влучив дрон.", "Дніпро"),
    ("ru", "Обломки дрона упали в реку Днепр возле Херсона.", "Днепр"),
    ("en", "Debris of a drone fell into the Dnipro river near Kherson.", "Dnipro"),
])
def test_a_river_is_no_place_of_an_event(rules, lang, text, river):
    places = [p.text for p in rules.extractor.extract(article_id="t", text=text, title=None, language=lang,
                                                      published_at=None).places]
    assert not any(river in p for p in places) and places, places
