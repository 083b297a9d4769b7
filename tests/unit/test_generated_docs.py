"""The generated parts of docs/ (the settings table, the topic catalogue) are what `make docs`
writes from the code now, and the generator reads the code rather than a copy of it."""
from __future__ import annotations

import pytest
from pydantic import Field

from dronewatch import docs
from shared.config import BaseServiceSettings, DatabaseSettings
from shared.topics import ALL_TOPICS, Topic


def test_the_committed_pages_are_current():
    stale = [path.relative_to(docs.ROOT).as_posix() for path, (text, new) in docs.render().items() if text != new]
    assert not stale, f"{', '.join(stale)}: not what the code says now; run {docs.REGENERATE} and commit the result"


def test_every_setting_has_a_meaning():
    missing = docs.missing_descriptions(docs.service_settings())
    assert not missing, f"give these settings a Field(description=...): {missing}; then run {docs.REGENERATE}"


def test_every_service_with_settings_is_read():
    services = docs.service_settings()
    assert {"storage", "extraction", "geocoding", "ingestion", "gateway"} <= set(services)
    assert services["storage"].__name__ == "StorageSettings"


def test_a_setting_appears_with_its_default_readers_and_meaning():
    class Alpha(DatabaseSettings):
        ops_port: int | None = 9201
        alpha_batch: int = Field(default=7, description="reports | per batch")

    class Beta(BaseServiceSettings):
        pass

    table = docs.settings_table({"alpha": Alpha, "beta": Beta})
    rows = {line.split(" | ")[0].strip("| `"): line for line in table.splitlines()[2:]}
    assert rows["ALPHA_BATCH"] == "| `ALPHA_BATCH` | `7` | alpha | reports \\| per batch |"
    assert rows["DATABASE_URL"].startswith("| `DATABASE_URL` | `sqlite:///var/dronewatch.db` | alpha | the incident")
    # a default that differs per service is given per service; a field every service has is read by all
    assert rows["OPS_PORT"].startswith("| `OPS_PORT` | alpha `9201`, beta unset | all | its port")
    assert list(rows)[:2] == ["SERVICE_NAME", "ENVIRONMENT"]


def test_a_topic_appears_with_its_flow():
    topic = Topic(name="demo.v1", model=None, key="demo id", partitions=2, retention_ms=3 * 86_400_000,
                  producers=("alpha",), consumers=("beta",), description="Demo.", public=True)
    assert docs.topics_table([topic]).splitlines()[2] == (
        "| `demo.v1` | the original bytes, with `dlq.*` headers (**public**) | demo id | 2 | 3 days | "
        "alpha → beta, subscribers | Demo. |")
    assert len(docs.topics_table(ALL_TOPICS).splitlines()) == 2 + len(ALL_TOPICS)


def test_a_section_is_replaced_between_its_markers_and_nowhere_else():
    page = "intro\n<!-- BEGIN GENERATED t -->\nold\n<!-- END GENERATED t -->\nrest\n"
    new = docs.replace_section(page, "t", "new", "here")
    assert new == ("intro\n<!-- BEGIN GENERATED t: written by `make docs` from here; edit there, not here -->\n"
                   "new\n<!-- END GENERATED t -->\nrest\n")
    assert docs.replace_section(new, "t", "new", "here") == new
    with pytest.raises(ValueError, match="no section 'u'"):
        docs.replace_section(page, "u", "new", "here")


def test_the_quality_figures_appear_one_row_per_data_set():
    table = docs.figures_table({"all": {"event_f1": 0.84, "count_accuracy": 0.875, "admin1_f1": 0.95}},
                               {"devset all": {"event_f1": 0.9}, "corpus": {"event_f1": 0.8}})
    assert table.splitlines()[2:] == [
        "| the development set (`../shared/data/devset`), every report | 0.840 | 0.875 | – | 0.950 | 0.900 |",
        "| our corpus (`tests/corpus/`) | – | – | – | – | 0.800 |"]
