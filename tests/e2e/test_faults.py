"""Nothing lost, nothing duplicated, under faults: the whole stack as processes, on a broker of its
own (one test restarts it) and PostgreSQL, with storage reaching PostgreSQL through a proxy the
test owns (so only storage's connection is cut, never the shared server).

While a few hundred reports flow:
* each service is killed with SIGKILL in turn and restarted, as a supervisor would;
* storage's database goes away for 30 s: storage rides it out (retries with backoff, same
  process, commits nothing early) and catches up;
* the in-memory broker restarts and forgets everything: the services reconnect by themselves and
  ingestion re-publishes from its outbox what storage never confirmed.
Every time, every accepted report ends up in the store exactly once: one article row, its events
once, and ingestion's outbox drained by storage's receipts."""
from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from shared.kafka.broker import LocalBroker
from shared.kafka.clients import ensure_topics
from shared.store.tables import articles, events
from shared.topics import ALL_TOPICS
from tests.conftest import store_url
from tests.e2e.stack import Running, running_stack
from tests.e2e.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e

REGIONS = ("Kursk region", "Bryansk region", "Belgorod region", "Voronezh region", "Oryol region",
           "Tula region", "Kaluga region", "Lipetsk region", "Tambov region", "Smolensk region")
# Longer than any of these tests takes to store its reports: a report re-published by ingestion
# means the pipeline itself lost it. Only the broker test, where the broker loses them, shortens it.
REDELIVER_AFTER_S = 120
DEADLINE_S = 240


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A broker of this module's own: the broker test restarts it, which wipes everything on it."""
    b = LocalBroker.start_on_free_port(log_path=tmp_path_factory.mktemp("faults-broker") / "tansu.log")
    yield b
    b.stop()


@pytest.fixture(scope="module")
def proxy(pg_database):
    if pg_database is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    p = TcpProxy("127.0.0.1", 5432)
    p.start()
    yield p
    p.cut()


@pytest.fixture(scope="module")
def stack(broker, proxy, pg_database, tmp_path_factory):
    data = tmp_path_factory.mktemp("faults")
    db_url = store_url("postgresql", data, pg_database)
    via_proxy = re.sub(r"@127\.0\.0\.1:5432/", f"@127.0.0.1:{proxy.port}/", db_url)
    env = {"storage": {"DATABASE_URL": via_proxy, "TRANSIENT_RETRY_MAX_S": "120"},
           "ingestion": {"INGESTION_RELAY_INTERVAL_S": "1", "INGESTION_REDELIVER_AFTER_S": str(REDELIVER_AFTER_S),
                         "KAFKA_REQUEST_TIMEOUT_MS": "5000"}}
    with running_stack(broker.bootstrap, data, db_url, service_env=env) as running:
        running.db_url = db_url  # type: ignore[attr-defined]
        yield running


def make_reports(tag: str, n: int) -> list[dict]:
    run = uuid.uuid4().hex[:6]
    return [{"id": f"{tag}-{run}-{i}", "language": "en",
             "text": f"Air defence destroyed {2 + i % 23} drones over {REGIONS[i % len(REGIONS)]} overnight, "
                     f"the governor said in bulletin {tag} {run} {i}."} for i in range(n)]


class Poster(threading.Thread):
    """Posts reports in small batches, as a client would: a batch that got no answer (the service
    was down) is posted again; `accepted` and `duplicate` both mean the report is in."""

    def __init__(self, stack: Running, reports: list[dict], pause_s: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.stack, self.reports, self.pause_s = stack, reports, pause_s
        self.done_ids: set[str] = set()
        self.error: str | None = None

    def run(self) -> None:
        for start in range(0, len(self.reports), 10):
            chunk = self.reports[start:start + 10]
            deadline = time.monotonic() + 120
            while True:
                try:
                    resp = httpx.post(f"{self.stack.ingest}/v1/articles/batch", json={"articles": chunk}, timeout=15)
                    if resp.status_code == 200:
                        results = resp.json()["results"]
                        if any(r["status"] == "rejected" for r in results):
                            self.error = f"rejected: {results}"
                            return
                        self.done_ids |= {r["id"] for r in results}
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.error = "ingestion did not come back"
                    return
                time.sleep(0.5)
            time.sleep(self.pause_s)


def stored_counts(db_url: str, ids: list[str]) -> tuple[dict[str, str], dict[str, int], int]:
    """(status per article, events per article, events in all) for these articles, read straight
    from the store."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            status = dict(conn.execute(select(articles.c.id, articles.c.status).where(articles.c.id.in_(ids))).all())
            per = dict(conn.execute(select(events.c.article_id, func.count()).where(events.c.article_id.in_(ids))
                                    .group_by(events.c.article_id)).all())
            ids_total = conn.execute(select(func.count(func.distinct(events.c.id)), func.count())
                                     .where(events.c.article_id.in_(ids))).one()
        assert ids_total[0] == ids_total[1], "an event id appears twice"
        return status, per, ids_total[1]
    finally:
        engine.dispose()


def wait_all_stored(stack: Running, reports: list[dict]) -> None:
    ids = [r["id"] for r in reports]
    deadline = time.monotonic() + DEADLINE_S
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        if dead := stack.stack.dead():
            raise AssertionError(f"{dead} died; logs in {stack.stack.data_dir / 'log'}")
        status, _, _ = stored_counts(stack.db_url, ids)  # type: ignore[attr-defined]
        if len(status) == len(ids) and all(s == "processed" for s in status.values()):
            return
        time.sleep(1)
    missing = [i for i in ids if status.get(i) != "processed"]
    raise AssertionError(f"{len(missing)} of {len(ids)} reports not processed, e.g. {missing[:5]}; "
                         f"logs in {stack.stack.data_dir / 'log'}")


def assert_exactly_once(stack: Running, reports: list[dict]) -> None:
    ids = [r["id"] for r in reports]
    status, per_article, total = stored_counts(stack.db_url, ids)  # type: ignore[attr-defined]
    assert set(status) == set(ids)
    assert per_article == dict.fromkeys(ids, 1), "each report says one thing happened at one place: one event"
    assert total == len(ids)
    for report in reports[:: max(1, len(reports) // 10)]:  # and they are the right events
        [ev] = stack.events(article_id=report["id"])
        assert ev["type"] == "interception" and f"{ev['count']} drones" in report["text"]


def wait_outbox_drained(stack: Running) -> dict:
    """Storage's receipts retire every report from ingestion's outbox."""
    deadline = time.monotonic() + 60
    body: dict = {}
    while time.monotonic() < deadline:
        body = httpx.get(f"{stack.ingest}/readyz", timeout=5).json()
        if body.get("outbox", {}).get("pending") == 0:
            return body["outbox"]
        time.sleep(0.5)
    raise AssertionError(f"ingestion's outbox not drained: {body}")


def wait_ready(stack: Running, key: str) -> None:
    url = f"{stack.ingest}/readyz" if key == "ingestion" else f"{stack.ops[key]}/readyz"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{key} did not become ready again")


def metric(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M))


def outbox_attempts(stack: Running, ids: list[str]) -> dict[str, int]:
    """How many times ingestion published each report, read from its outbox."""
    from services.ingestion.adapters.outbox import outbox as outbox_table

    engine = create_engine(stack.stack.env["INGESTION_DB_URL"])
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(outbox_table.c.id, outbox_table.c.attempts)
                                     .where(outbox_table.c.id.in_(ids))).all())
    finally:
        engine.dispose()


def test_killing_each_service_in_turn_loses_and_duplicates_nothing(stack):
    reports = make_reports("kill", 300)
    poster = Poster(stack, reports)
    poster.start()
    for key in ("extraction", "geocoding", "storage", "ingestion"):
        time.sleep(3)  # let reports flow through the service before it crashes
        stack.stack.kill(key)
        stack.stack.restart(key)
        wait_ready(stack, key)
    poster.join(180)
    assert poster.error is None and poster.done_ids == {r["id"] for r in reports}
    wait_all_stored(stack, reports)
    assert_exactly_once(stack, reports)
    wait_outbox_drained(stack)
    # nothing was lost on the way: no report had to be re-published from ingestion's outbox
    assert set(outbox_attempts(stack, [r["id"] for r in reports]).values()) == {1}


def test_storage_rides_out_a_30_second_database_outage(stack, proxy):
    storage = stack.stack.procs["storage"]
    reports = make_reports("dbdown", 150)
    poster = Poster(stack, reports, pause_s=0.1)
    poster.start()
    time.sleep(2)
    proxy.cut()
    try:
        time.sleep(30)  # the outage itself: reports keep arriving meanwhile
        assert storage.poll() is None, "storage must wait for its database, not crash"
    finally:
        proxy.restore()
    poster.join(120)
    assert poster.error is None
    wait_all_stored(stack, reports)
    assert_exactly_once(stack, reports)
    assert stack.stack.procs["storage"] is storage and storage.poll() is None  # the same process throughout
    metrics = httpx.get(f"{stack.ops['storage']}/metrics", timeout=5).text
    assert metric(metrics, "dronewatch_errors_total") > 0  # it did see the outage and retried
    # Nothing had to be re-published: storage itself lost nothing (the redelivery delay is longer
    # than the outage, so a lost report would have shown up here only later, as a second attempt).
    outbox = wait_outbox_drained(stack)
    assert outbox["overdue"] == 0 and outbox["gave_up"] == 0
    assert set(outbox_attempts(stack, [r["id"] for r in reports]).values()) == {1}


def test_a_broker_restart_that_loses_every_topic_loses_no_accepted_report(stack, broker):
    stack.stack.restart("ingestion", {"INGESTION_REDELIVER_AFTER_S": "5"})  # the broker's loss, found sooner
    wait_ready(stack, "ingestion")
    try:
        broker_restart_loses_no_accepted_report(stack, broker)
    finally:
        stack.stack.restart("ingestion", {"INGESTION_REDELIVER_AFTER_S": str(REDELIVER_AFTER_S)})
        wait_ready(stack, "ingestion")


def broker_restart_loses_no_accepted_report(stack: Running, broker: LocalBroker) -> None:
    # Extraction is down, so the first reports are accepted and taken by the broker but wait
    # there unprocessed: exactly what an in-memory broker's restart (or a lost topic) destroys.
    stack.stack.kill("extraction")
    waiting, later = make_reports("broker-waiting", 100), make_reports("broker-later", 100)
    first = Poster(stack, waiting, pause_s=0)
    first.run()
    assert first.error is None and first.done_ids == {r["id"] for r in waiting}
    broker.stop()  # in memory: every topic, record, group and offset is gone
    broker.start()
    asyncio.run(ensure_topics(stack.settings, ALL_TOPICS))
    stack.stack.restart("extraction")
    poster = Poster(stack, later, pause_s=0.2)
    poster.start()
    poster.join(180)
    assert poster.error is None and poster.done_ids == {r["id"] for r in later}
    wait_all_stored(stack, waiting + later)
    assert_exactly_once(stack, waiting + later)
    wait_outbox_drained(stack)
    # the waiting reports came back because ingestion re-published them from its outbox
    assert min(outbox_attempts(stack, [r["id"] for r in waiting]).values()) >= 2
