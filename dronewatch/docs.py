"""`make docs`: the parts of the docs that are read from the code, written between markers.

- docs/configuration.md, the settings table: every field of the settings classes (shared/config.py,
  shared/auth.py and each `services/<name>/settings.py`), with its default, the services that read
  it, and its meaning (the field's `description`).
- docs/architecture.md, the topic catalogue: every topic of shared/topics.py.
- README.md, the quality figures: cross-validated (the decision model's `meta`) and the ones the
  quality gate holds (tests/quality/baseline.json).

A generated part sits between `<!-- BEGIN GENERATED name ... -->` and `<!-- END GENERATED name -->`;
the rest of the page is written by hand. `python -m dronewatch.docs --check` (and
tests/unit/test_generated_docs.py) fails when a committed page is not what this writes."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from shared.config import BaseServiceSettings
from shared.topics import ALL_TOPICS, DAY_MS, Topic

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "make docs (or .venv/bin/python -m dronewatch.docs)"


def service_settings(root: Path = ROOT) -> dict[str, type[BaseServiceSettings]]:
    """{service: its settings class}, for every `services/<name>/settings.py`, by name."""
    out: dict[str, type[BaseServiceSettings]] = {}
    for path in sorted((root / "services").glob("*/settings.py")):
        module = importlib.import_module(f"services.{path.parent.name}.settings")
        found = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, BaseServiceSettings)
                 and c.__module__ == module.__name__]
        if len(found) != 1:
            raise LookupError(f"{path} should define one settings class, it defines {len(found)}")
        out[path.parent.name] = found[0]
    return out


def _description(classes: Iterable[type[BaseServiceSettings]], name: str) -> str | None:
    """A field's meaning: its description where it is declared (a subclass that only changes the
    default, like a service's OPS_PORT, keeps the base class's)."""
    for cls in classes:
        for klass in cls.__mro__:
            fields: Mapping[str, FieldInfo] = getattr(klass, "model_fields", {})
            if name in fields and fields[name].description:
                return fields[name].description
    return None


def _read_by(readers: Mapping[str, type[BaseServiceSettings]], name: str) -> list[str]:
    """The services whose settings hold the field, or fewer where the field says (`read_by` in its
    json_schema_extra: a field a shared class holds for one service only)."""
    extra = next(iter(readers.values())).model_fields[name].json_schema_extra
    named = extra.get("read_by") if isinstance(extra, dict) else None
    return [svc for svc in readers if not isinstance(named, list) or svc in named]


def _value(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "empty"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def missing_descriptions(services: Mapping[str, type[BaseServiceSettings]]) -> list[str]:
    """The variables whose field has no description (the table would have no meaning for them)."""
    classes = _all_classes(services)
    names = {n for cls in classes for n in cls.model_fields}
    return sorted(n.upper() for n in names if not _description(classes, n))


def _all_classes(services: Mapping[str, type[BaseServiceSettings]]) -> list[type[BaseServiceSettings]]:
    return [BaseServiceSettings, *services.values()]


def settings_table(services: Mapping[str, type[BaseServiceSettings]]) -> str:
    """One row per variable: the shared ones first, then each service's in the order declared."""
    rows = ["| variable | default | read by | meaning |", "|---|---|---|---|"]
    names = list(dict.fromkeys(n for cls in _all_classes(services) for n in cls.model_fields))
    for name in names:
        readers = {svc: cls for svc, cls in services.items() if name in cls.model_fields}
        defaults = {svc: _value(cls.model_fields[name].default) for svc, cls in readers.items()}
        if len(set(defaults.values())) == 1:
            default = next(iter(defaults.values()))
        else:
            default = ", ".join(f"{svc} {value}" for svc, value in defaults.items())
        read_by = "all" if name in BaseServiceSettings.model_fields else ", ".join(_read_by(readers, name))
        meaning = _description([BaseServiceSettings, *readers.values()], name) or ""
        rows.append(f"| `{name.upper()}` | {_cell(default)} | {read_by} | {_cell(meaning)} |")
    return "\n".join(rows)


def _retention(ms: int) -> str:
    days, rest = divmod(ms, DAY_MS)
    return f"{days} days" if not rest else f"{ms} ms"


def topics_table(topics: Iterable[Topic]) -> str:
    rows = ["| topic | message | key | partitions | retention | producers → consumers | what it carries |",
            "|---|---|---|---|---|---|---|"]
    for t in topics:
        model = f"`{t.model.__name__}`" if t.model else "the original bytes, with `dlq.*` headers"
        if t.public:
            model += " (**public**)"
        consumers = [*t.consumers, *(["subscribers"] if t.public else [])]
        flow = f"{', '.join(t.producers)} → {', '.join(consumers) or 'kept for inspection'}"
        rows.append(f"| `{t.name}` | {model} | {_cell(t.key)} | {t.partitions} | {_retention(t.retention_ms)} | "
                    f"{flow} | {_cell(t.description)} |")
    return "\n".join(rows)


BASELINE = ROOT / "tests" / "quality" / "baseline.json"
DECISION_MODEL = ROOT / "services" / "extraction" / "nlp" / "models" / "decision.json"
# the model's cross-validated groups and the gate's keys for the same reports -> the row's name
FIGURE_ROWS = {("all", "devset all"): "the development set (`../shared/data/devset`), every report",
               ("later-61", "devset later-61"): "the development set, its later 61 reports",
               ("added-uk-22", "devset added-uk-22"): "the development set, its 22 Ukrainian reports added last",
               ("corpus", "corpus"): "our corpus (`tests/corpus/`)"}
FIGURE_COLUMNS = {"event_f1": "event F1", "count_accuracy": "count accuracy",
                  "casualty_accuracy": "casualty accuracy", "admin1_f1": "admin1 F1"}


def figures_table(cross_validated: Mapping[str, Mapping[str, float]],
                  gate: Mapping[str, Mapping[str, float]]) -> str:
    """The headline quality figures: cross-validated by article (the decision model's `meta`, from
    `make decision-model`), one row per data set, each with the gate's in-sample event F1 beside it
    (tests/quality/baseline.json, what `make test` holds)."""
    rows = [f"| extraction + geocoding on | {' | '.join(FIGURE_COLUMNS.values())} | event F1 in-sample (the gate) |",
            f"|---|{'---|' * (len(FIGURE_COLUMNS) + 1)}"]
    for (cv_key, gate_key), name in FIGURE_ROWS.items():
        figures, held = cross_validated.get(cv_key), gate.get(gate_key)
        if figures is None and held is None:
            continue
        cells = [f"{figures[k]:.3f}" if figures and k in figures else "–" for k in FIGURE_COLUMNS]
        cells.append(f"{held['event_f1']:.3f}" if held and "event_f1" in held else "–")
        rows.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(rows)


def _headline_figures() -> str:
    model = json.loads(DECISION_MODEL.read_text(encoding="utf-8")).get("meta", {})
    gate = json.loads(BASELINE.read_text(encoding="utf-8"))["figures"]
    return figures_table(model.get("cross_validated", {}), gate)


def replace_section(text: str, name: str, body: str, source: str) -> str:
    """`text` with the part between the markers named `name` replaced by `body`."""
    begin, end = f"<!-- BEGIN GENERATED {name}", f"<!-- END GENERATED {name} -->"
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"the page has no section {name!r}: it needs the lines `{begin} ... -->` and `{end}`")
    head = f"{begin}: written by `make docs` from {source}; edit there, not here -->"
    return f"{text[:start]}{head}\n{body}\n{text[stop:]}"


# page -> (section, the code it is read from, how to write it)
SECTIONS: dict[str, list[tuple[str, str, Callable[[], str]]]] = {
    "docs/configuration.md": [("settings", "the settings classes",
                               lambda: settings_table(service_settings()))],
    "docs/architecture.md": [("topics", "shared/topics.py", lambda: topics_table(ALL_TOPICS))],
    "README.md": [("figures", "the decision model's meta and tests/quality/baseline.json", _headline_figures)],
}


def render(root: Path = ROOT) -> dict[Path, tuple[str, str]]:
    """{page: (its text now, its text as generated)}."""
    out = {}
    for rel, sections in SECTIONS.items():
        path = root / rel
        text = new = path.read_text(encoding="utf-8")
        for name, source, build in sections:
            new = replace_section(new, name, build(), source)
        out[path] = (text, new)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dronewatch.docs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a page is not current")
    args = parser.parse_args(argv)
    missing = missing_descriptions(service_settings())
    if missing:
        print(f"settings without a description (Field(description=...)): {', '.join(missing)}", file=sys.stderr)
        return 1
    stale = []
    for path, (text, new) in render().items():
        if text != new:
            stale.append(path.relative_to(ROOT).as_posix())
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print(f"not current: {', '.join(stale)}; run {REGENERATE}", file=sys.stderr)
        return 1
    print(f"{'rewrote' if stale else 'current'}: {', '.join(stale) or ', '.join(SECTIONS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
