"""End-to-end load benchmark: the whole stack as processes (local broker, SQLite, bundled gazetteer,
free ports), reports posted over HTTP, time from post to `processed` at the gateway.

    python -m bench.e2e [--rate 50] [--latency-s 60] [--throughput-s 30] [--quick] [--json PATH]

Phases, one stack, each on reports never seen before:

(a) latency: an open-loop generator posts single reports (POST /v1/articles) at a fixed `--rate`
    for `--latency-s` seconds, each at its scheduled time whether or not earlier ones have finished.
    A subscriber on storage's receipts (articles.stored.v1; events.geocoded.v1 where there are none)
    says when a report has been stored; it is then confirmed at the gateway (GET /v1/articles/{id}
    until `processed`, about one request per report). Latency = confirmation time
    minus scheduled post time (so a late generator counts against us); p50/p95/p99/max.
    An incidents.v1 follower says when each report's claim first appears in an incident's state
    (post -> incident, for the reports with events; at the gateway once storage serves incidents).
(b) throughput: reports are posted through the batch endpoint (POST /v1/articles/batch, `--batch`
    per request) as fast as the pipeline keeps up: never more than `--window` reports posted and not
    yet stored. Storage's own counter of handled events.geocoded.v1 records (its /metrics) is the
    progress clock; sustained throughput = reports stored per second over the posting period after a
    warm-up; afterwards every report is checked at the gateway (nothing lost).

Baseline: the same reports in one process through extraction's and geocoding's handlers (no broker,
no HTTP, no store), reports/s; the ratio end-to-end / baseline is the cost of the messaging.
Resources: CPU seconds (user + system) per service process, the broker and this generator in each
phase, and peak RSS (VmHWM) of each. The generator speaks HTTP through bench/http.py, a client that
costs it ~0.2 ms of CPU per request where httpx costs 1-8 ms. Prints a table, writes JSON to
var/bench/. Asserts nothing.

Reports are our own corpus (tests/corpus): each is two (or three) corpus texts of one language, a
combination used once, so no two reports are duplicates or near-duplicates of each other."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, combinations
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "ru", "uk")
WORKERS = ("storage", "geocoding", "extraction", "incidents")
HTTP_SERVICES = ("gateway", "ingestion")


# --- reports ----------------------------------------------------------------------------------

def build_reports(corpus: Path, n: int, *, run: str, seed: int = 7) -> list[dict]:
    """`n` distinct reports, languages in turn; each joins two corpus texts of its language (three
    once the pairs run out), every combination used once."""
    texts: dict[str, list[dict]] = {lang: [] for lang in LANGS}
    for f in sorted(corpus.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                texts[case["language"]].append(case)
    rng = random.Random(seed)
    combos: dict[str, Iterator[tuple[int, ...]]] = {}
    for lang, cases in texts.items():
        pairs = list(combinations(range(len(cases)), 2))
        rng.shuffle(pairs)
        combos[lang] = chain(pairs, _random_triples(len(cases), rng))
    langs = [lang for lang in LANGS if texts[lang]]
    reports = []
    for i in range(n):
        lang = langs[i % len(langs)]
        picked = [texts[lang][k] for k in next(combos[lang])]
        reports.append({"id": f"bench-{run}-{i}", "language": lang, "published_at": picked[0]["published_at"],
                        "text": " ".join(c["text"] for c in picked)})
    return reports


def _random_triples(size: int, rng: random.Random) -> Iterator[tuple[int, ...]]:
    seen: set[tuple[int, ...]] = set()
    while len(seen) < size * (size - 1) * (size - 2) // 6:
        combo = tuple(sorted(rng.sample(range(size), 3)))
        if combo not in seen:
            seen.add(combo)
            yield combo


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


# --- baseline: the same work in one process, no messaging ----------------------------------------

def baseline(reports: list[dict], index: str) -> dict:
    """Runs in a fresh process: extraction's and geocoding's handlers on `reports`, one after the other."""
    import hashlib
    import resource

    from services.extraction.handlers import handle_article_received
    from services.extraction.main import build_extractor
    from services.extraction.settings import ExtractionSettings
    from services.geocoding.handlers import handle_places_extracted
    from services.geocoding.main import build_geocoder
    from services.geocoding.settings import GeocodingSettings
    from shared.messages import ArticleReceived
    from shared.messages.articles import Article
    from shared.places import Gazetteer

    extractor = build_extractor(ExtractionSettings(_env_file=None, gazetteer_index_path=Path(index)))
    geo_settings = GeocodingSettings(_env_file=None, gazetteer_index_path=Path(index))
    geocoder = build_geocoder(geo_settings, Gazetteer.load(Path(index)))
    now = datetime.now(UTC)
    messages = []
    for r in reports:
        art = Article(id=r["id"], text=r["text"], language=r["language"], received_at=now,
                      published_at=datetime.fromisoformat(r["published_at"]),
                      content_hash=hashlib.sha256(r["text"].encode()).hexdigest())
        messages.append(ArticleReceived.create(producer="bench", correlation_id=art.id, payload=art))

    async def one(msg: ArticleReceived) -> int:
        [extracted] = await handle_article_received(msg, extractor=extractor)
        [geocoded] = await handle_places_extracted(extracted, geocoder=geocoder)
        return len(geocoded.payload.events)

    async def run_all() -> tuple[float, list[float], int]:
        for msg in messages[:5]:  # warm-up: lazy caches
            await one(msg)
        per, events = [], 0
        started = time.perf_counter()
        for msg in messages:
            t = time.perf_counter()
            events += await one(msg)
            per.append(time.perf_counter() - t)
        return time.perf_counter() - started, per, events

    wall, per, events = asyncio.run(run_all())
    return {"reports": len(messages), "events": events, "seconds": round(wall, 2),
            "reports_per_s": round(len(messages) / wall, 1), "p50_ms": round(pct(per, 0.5) * 1000, 2),
            "p99_ms": round(pct(per, 0.99) * 1000, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


# --- the stack -----------------------------------------------------------------------------------

@dataclass
class BenchStack:
    ingest: str
    gateway: str
    ops: dict[str, str]
    prefix: str
    bootstrap: str
    pids: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def running_stack(data: Path, index: Path, extra_env: dict[str, str]) -> Iterator[BenchStack]:
    """The five services as processes, like `dronewatch run`, on a broker of their own."""
    from dronewatch.devstack import LOCAL_BROKER_ENV, Stack, ready, wait_until
    from services.storage.migrations import upgrade
    from shared.config import BaseServiceSettings
    from shared.kafka.broker import LocalBroker, free_port
    from shared.kafka.clients import ensure_topics
    from shared.topics import ALL_TOPICS

    (data / "log").mkdir(parents=True, exist_ok=True)
    broker = LocalBroker.start_on_free_port(log_path=data / "log" / "broker.log")
    stack = Stack(data_dir=data, env={})
    try:
        prefix = f"bench{uuid.uuid4().hex[:6]}."
        settings = BaseServiceSettings(_env_file=None, kafka_bootstrap_servers=broker.bootstrap,
                                       kafka_topic_prefix=prefix)
        asyncio.run(ensure_topics(settings, ALL_TOPICS))
        db_url = f"sqlite:///{data / 'dronewatch.db'}"
        upgrade(db_url)
        ingest_port, gateway_port = free_port(), free_port()
        stack.env = {**os.environ, **LOCAL_BROKER_ENV, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                     "KAFKA_TOPIC_PREFIX": prefix, "DATABASE_URL": db_url, "DATA_DIR": str(data),
                     "INGESTION_DB_URL": f"sqlite:///{data / 'ingestion.db'}", "GAZETTEER_INDEX_PATH": str(index),
                     "INGESTION_PORT": str(ingest_port), "GATEWAY_PORT": str(gateway_port),
                     "STORAGE_MIGRATE_ON_START": "false", "LOG_FORMAT": "text",
                     "INCIDENTS_DATABASE_URL": f"sqlite:///{data / 'incidents.db'}", **extra_env}
        ops = {}
        for name in WORKERS:
            port = free_port()
            ops[name] = f"http://127.0.0.1:{port}"
            stack.start_service(name, {"OPS_PORT": str(port)})
        for name in HTTP_SERVICES:
            stack.start_service(name)
        running = BenchStack(f"http://127.0.0.1:{ingest_port}", f"http://127.0.0.1:{gateway_port}", ops, prefix,
                             broker.bootstrap, {name: p.pid for name, p in stack.procs.items()})
        assert broker.proc is not None
        running.pids["broker"] = broker.proc.pid
        urls = [f"{u}/readyz" for u in (running.gateway, running.ingest, *ops.values())]
        wait_until(lambda: ready(urls), "the stack to become ready", stack, timeout_s=120)
        yield running
    finally:
        stack.stop()
        broker.stop()


# --- resources -----------------------------------------------------------------------------------

class Resources:
    """CPU seconds per process between marks, and peak RSS (the kernel's high-water mark)."""

    def __init__(self, pids: dict[str, int]) -> None:
        import psutil

        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.procs["generator"] = psutil.Process()
        self.marks: dict[str, dict[str, float]] = {}

    def cpu(self) -> dict[str, float]:
        out = {}
        for name, proc in self.procs.items():
            with contextlib.suppress(Exception):
                t = proc.cpu_times()
                out[name] = t.user + t.system
        return out

    def peak_rss_mb(self) -> dict[str, float]:
        out = {}
        for name, proc in self.procs.items():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{proc.pid}/status").read_text()
                if m := re.search(r"VmHWM:\s+(\d+) kB", status):
                    out[name] = round(int(m.group(1)) / 1024, 1)
        return out

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: round(after[k] - before.get(k, 0.0), 2) for k in after}


# --- measuring -----------------------------------------------------------------------------------

def _metric_sum(text: str, name: str, topic_suffixes: tuple[str, ...]) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, _, value = line.rpartition(" ")
            topic = re.search(r'topic="([^"]*)"', labels)
            if topic and topic.group(1).endswith(topic_suffixes):
                total += float(value)
    return total


async def stored_count(client, stack: BenchStack) -> float:  # noqa: ANN001 - bench.http.FastClient
    """Records storage has finished with on the topics that end an article: geocoded events and the
    dead letters of extraction and geocoding (an article that failed is finished too)."""
    resp = await client.get(f"{stack.ops['storage']}/metrics")
    return _metric_sum(resp.text, "dronewatch_processing_seconds_count",
                       ("events.geocoded.v1", "dlq.extraction", "dlq.geocoding"))


async def stage_times(client, stack: BenchStack) -> dict[str, list[float]]:  # noqa: ANN001
    """Per service and topic (workers) or route (HTTP services): [count, total seconds] of handling,
    from each service's own /metrics histograms."""
    out: dict[str, list[float]] = {}
    urls = {**stack.ops, "ingestion": stack.ingest, "gateway": stack.gateway}
    for service, url in urls.items():
        with contextlib.suppress(Exception):
            text = (await client.get(f"{url}/metrics")).text
            for line in text.splitlines():
                m = re.match(r'dronewatch_(processing|http_request)_seconds_(count|sum)\{(.*)\} (\S+)', line)
                if not m:
                    continue
                label = re.search(r'(?:topic|route)="([^"]*)"', m.group(3))
                key = f"{service} {label.group(1).removeprefix(stack.prefix) if label else ''}"
                slot = out.setdefault(key, [0.0, 0.0])
                slot[0 if m.group(2) == "count" else 1] += float(m.group(4))
    return out


def stage_delta(before: dict[str, list[float]], after: dict[str, list[float]]) -> dict[str, dict]:
    """Records handled and mean handling time per stage between two scrapes."""
    out = {}
    for key, (n, total) in after.items():
        n0, t0 = before.get(key, [0.0, 0.0])
        if n - n0 > 0:
            out[key] = {"handled": int(n - n0), "mean_ms": round(1000 * (total - t0) / (n - n0), 2)}
    return out


class StoredWatcher:
    """Follows storage's receipts (every partition, no group) and calls back with each article id. A
    receipt follows the store's commit, so one gateway request usually confirms the report."""

    def __init__(self, stack: BenchStack, on_key) -> None:  # noqa: ANN001
        self.stack, self.on_key = stack, on_key
        self.task: asyncio.Task | None = None
        self.consumer = None

    def watched(self):
        from shared import topics

        return getattr(topics, "ARTICLES_STORED", topics.EVENTS_GEOCODED)

    async def start(self) -> None:
        """Read every partition of the watched topic from its end, without a group."""
        from aiokafka import AIOKafkaConsumer, TopicPartition

        watched = self.watched()
        topic = f"{self.stack.prefix}{watched.name}"
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.stack.bootstrap, enable_auto_commit=False,
                                         auto_offset_reset="latest", fetch_max_wait_ms=20)
        await self.consumer.start()
        parts = [TopicPartition(topic, p) for p in range(watched.partitions)]
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    if record.key:
                        self.on_key(record.key.decode())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.consumer:
            await self.consumer.stop()


class IncidentWatcher(StoredWatcher):
    """Follows incidents.v1 (every partition, no group) and calls back once per article id the
    first time an incident state claims it: when the report is part of an incident."""

    def watched(self):
        from shared.topics import INCIDENTS

        return INCIDENTS

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    for claim in json.loads(record.value)["payload"]["claims"]:
                        self.on_key(claim["article_id"])


async def latency_phase(client, stack: BenchStack, reports: list[dict], rate: float,  # noqa: ANN001, C901 - one measured phase, its steps in the order they run
                        timeout_s: float) -> dict:
    loop = asyncio.get_running_loop()
    scheduled: dict[str, float] = {}
    done: dict[str, float] = {}
    status: dict[str, str] = {}
    post_errors: list[str] = []
    confirms: set[asyncio.Task] = set()
    gateway_gets = 0

    async def confirm(article_id: str) -> None:
        nonlocal gateway_gets
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            gateway_gets += 1
            resp = await client.get(f"{stack.gateway}/v1/articles/{article_id}")
            if resp.status_code == 200 and resp.json()["status"] in ("processed", "failed"):
                done[article_id] = time.monotonic()
                status[article_id] = resp.json()["status"]
                return
            await asyncio.sleep(0.025)  # storage writes right after geocoding publishes: seldom more than twice

    def on_stored(article_id: str) -> None:
        if article_id in scheduled and article_id not in done:
            task = loop.create_task(confirm(article_id))
            confirms.add(task)
            task.add_done_callback(confirms.discard)

    watcher = StoredWatcher(stack, on_stored)
    await watcher.start()
    in_incident: dict[str, float] = {}

    def on_incident(article_id: str) -> None:
        if article_id in scheduled and article_id not in in_incident:
            in_incident[article_id] = time.monotonic()

    incidents = IncidentWatcher(stack, on_incident)
    await incidents.start()
    late: list[float] = []

    async def post(r: dict, at: float) -> None:
        resp = await client.post(f"{stack.ingest}/v1/articles", json=r)
        if resp.status_code != 202:
            post_errors.append(f"{resp.status_code} {resp.text[:200]}")

    posts = []
    t0 = time.monotonic() + 0.2
    for i, r in enumerate(reports):
        at = t0 + i / rate
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        late.append(time.monotonic() - at)
        scheduled[r["id"]] = at
        posts.append(asyncio.create_task(post(r, at)))
    posting_s = time.monotonic() - t0
    await asyncio.gather(*posts)
    deadline, progress, last = time.monotonic() + timeout_s, time.monotonic(), 0
    while len(done) < len(scheduled) and time.monotonic() < deadline and time.monotonic() - progress < 10:
        await asyncio.sleep(0.1)
        if len(done) > last:
            progress, last = time.monotonic(), len(done)
    # what the watcher did not see is confirmed at the gateway directly; its latency then includes
    # this wait, so it is reported apart
    unseen = [a for a in scheduled if a not in done]
    for article_id in unseen:
        await confirm(article_id)
    await watcher.stop()
    await incidents.stop()
    inc = [in_incident[a] - scheduled[a] for a in in_incident]
    for task in list(confirms):
        task.cancel()
    lat = [done[a] - scheduled[a] for a in done if a not in unseen]
    return {"endpoint": "POST /v1/articles", "offered_rate_per_s": rate, "reports": len(reports),
            "posting_s": round(posting_s, 2), "processed": sum(s == "processed" for s in status.values()),
            "failed": sum(s == "failed" for s in status.values()), "lost": len(scheduled) - len(done),
            "not_seen_by_watcher": len(unseen),
            "post_errors": len(post_errors), "post_error_sample": post_errors[:3],
            "generator_max_late_ms": round(max(late) * 1000, 1), "gateway_gets_per_report":
                round(gateway_gets / max(1, len(reports)), 2),
            "p50_s": _r(pct(lat, 0.5)), "p95_s": _r(pct(lat, 0.95)), "p99_s": _r(pct(lat, 0.99)),
            "max_s": _r(max(lat) if lat else None), "mean_s": _r(statistics.mean(lat) if lat else None),
            # post -> the report's claim in an incident's state on incidents.v1 (reports with events)
            "incident_reports": len(inc), "incident_p50_s": _r(pct(inc, 0.5)),
            "incident_p99_s": _r(pct(inc, 0.99)), "incident_max_s": _r(max(inc) if inc else None)}


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


async def throughput_phase(client, stack: BenchStack, reports: list[dict], seconds: float, batch: int,  # noqa: ANN001
                           window: int, warmup_s: float, timeout_s: float, inflight: int = 4) -> dict:
    base = await stored_count(client, stack)
    posted = 0
    rejected: list[str] = []
    samples: list[tuple[float, float]] = []  # (time, stored since start)
    stop_posting = asyncio.Event()
    sent_ids: list[str] = []

    async def sampler() -> None:
        while True:
            samples.append((time.monotonic(), await stored_count(client, stack) - base))
            await asyncio.sleep(0.25)

    sampling = asyncio.create_task(sampler())
    t0 = time.monotonic()
    next_i = 0

    async def poster() -> None:
        nonlocal posted, next_i
        while not stop_posting.is_set() and next_i < len(reports):
            stored = samples[-1][1] if samples else 0.0
            if posted - stored + batch > window:
                await asyncio.sleep(0.02)
                continue
            chunk = reports[next_i:next_i + batch]
            next_i += len(chunk)
            posted += len(chunk)
            resp = await client.post(f"{stack.ingest}/v1/articles/batch", json={"articles": chunk})
            if resp.status_code != 200:
                rejected.append(f"{resp.status_code} {resp.text[:200]}")
                continue
            for item, res in zip(chunk, resp.json()["results"], strict=True):
                if res["status"] == "accepted":
                    sent_ids.append(item["id"])
                else:
                    rejected.append(f"{res['status']}: {res.get('error')}")

    posters = [asyncio.create_task(poster()) for _ in range(inflight)]
    await asyncio.sleep(seconds)
    stop_posting.set()
    await asyncio.gather(*posters)
    t_post_end = time.monotonic()
    deadline = time.monotonic() + timeout_s
    while (not samples or samples[-1][1] < len(sent_ids)) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    sampling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampling
    t_done = samples[-1][0] if samples else time.monotonic()
    # sustained: stored per second while posting, after the warm-up
    window_samples = [(t, n) for t, n in samples if t0 + warmup_s <= t <= t_post_end]
    sustained = None
    if len(window_samples) >= 2:
        (ta, na), (tb, nb) = window_samples[0], window_samples[-1]
        sustained = (nb - na) / (tb - ta) if tb > ta else None
    # nothing lost: every accepted report is at the gateway, processed or failed
    states: dict[str, int] = {}
    sem = asyncio.Semaphore(16)

    async def check(article_id: str) -> None:
        async with sem:
            resp = await client.get(f"{stack.gateway}/v1/articles/{article_id}")
            s = resp.json().get("status", str(resp.status_code)) if resp.status_code == 200 else str(resp.status_code)
            states[s] = states.get(s, 0) + 1

    await asyncio.gather(*(check(a) for a in sent_ids))
    return {"endpoint": f"POST /v1/articles/batch ({batch} per request, {inflight} in flight)", "window": window,
            "posting_s": round(t_post_end - t0, 2), "posted": posted, "accepted": len(sent_ids),
            "not_accepted": len(rejected), "not_accepted_sample": rejected[:3],
            "sustained_per_s": _r(sustained, 1), "warmup_s": warmup_s,
            "overall_per_s": _r(len(sent_ids) / (t_done - t0), 1) if sent_ids else None,
            "drain_s": round(max(0.0, t_done - t_post_end), 2), "at_gateway": states}


# --- the run -------------------------------------------------------------------------------------

def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def measure(stack: BenchStack, args: argparse.Namespace, reports: list[dict], res: Resources) -> dict:
    from bench.http import FastClient

    n_lat = int(args.rate * args.latency_s)
    out: dict = {}
    async with FastClient(size=256) as client:
        # a few reports first so every stage has loaded and joined before anything is timed
        warm = await throughput_phase(client, stack, reports[:30], 2, 10, 100, 0, 60)
        out["warmup"] = {"accepted": warm["accepted"], "at_gateway": warm["at_gateway"]}
        before = res.cpu()
        await asyncio.sleep(args.idle_s)
        out["idle"] = {"wall_s": args.idle_s, "cpu_s": res.delta(before, res.cpu())}
        before, stages, t = res.cpu(), await stage_times(client, stack), time.monotonic()
        out["latency"] = await latency_phase(client, stack, reports[30:30 + n_lat], args.rate, 60)
        out["latency"]["cpu_s"] = res.delta(before, res.cpu())
        out["latency"]["wall_s"] = round(time.monotonic() - t, 2)
        out["latency"]["stages"] = stage_delta(stages, await stage_times(client, stack))
        before, stages, t = res.cpu(), await stage_times(client, stack), time.monotonic()
        out["throughput"] = await throughput_phase(client, stack, reports[30 + n_lat:], args.throughput_s,
                                                   args.batch, args.window, args.warmup_s, 120, args.inflight)
        out["throughput"]["cpu_s"] = res.delta(before, res.cpu())
        out["throughput"]["cpu_ms_per_report"] = {
            name: round(1000 * cpu / max(1, out["throughput"]["accepted"]), 3)
            for name, cpu in out["throughput"]["cpu_s"].items()}
        out["throughput"]["wall_s"] = round(time.monotonic() - t, 2)
        out["throughput"]["stages"] = stage_delta(stages, await stage_times(client, stack))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=50.0, help="latency phase: reports/s offered (default 50)")
    ap.add_argument("--latency-s", type=float, default=60.0, help="latency phase length (default 60)")
    ap.add_argument("--throughput-s", type=float, default=30.0, help="throughput phase: seconds of posting")
    ap.add_argument("--batch", type=int, default=50, help="throughput phase: reports per batch request")
    ap.add_argument("--inflight", type=int, default=4, help="throughput phase: batch requests in flight")
    ap.add_argument("--idle-s", type=float, default=5.0, help="CPU of the idle stack is measured this long")
    ap.add_argument("--window", type=int, default=1500, help="throughput phase: most reports posted, not stored")
    ap.add_argument("--warmup-s", type=float, default=5.0, help="throughput phase: not counted at its start")
    ap.add_argument("--baseline-n", type=int, default=1500, help="reports in the in-process baseline")
    ap.add_argument("--quick", action="store_true", help="a short run (~1 min): 15 s + 15 s, 600-report baseline")
    ap.add_argument("--corpus", type=Path, default=ROOT / "tests" / "corpus")
    ap.add_argument("--json", type=Path, help="result file (default var/bench/e2e-<time>.json)")
    ap.add_argument("--keep", action="store_true", help="keep the stack's data folder (logs, store)")
    args = ap.parse_args(argv)
    if args.quick:
        args.latency_s, args.throughput_s, args.baseline_n, args.warmup_s = 15.0, 15.0, 600, 3.0

    from shared.config import GazetteerSettings
    from shared.places.indexfile import ensure_index

    index = ensure_index(GazetteerSettings(_env_file=None,
                                           gazetteer_index_path=ROOT / "var" / "gazetteer" / "index.pkl.gz"))
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    n_total = 30 + int(args.rate * args.latency_s) + int(args.throughput_s * 1000)
    reports = build_reports(args.corpus, n_total, run=run)
    load_before = _load()
    print(f"e2e benchmark {run}: {os.cpu_count()} CPUs, load average {load_before} (the machine may be shared)",
          flush=True)
    print(f"  reports: {len(reports)} prepared, mean {statistics.mean(len(r['text'].encode()) for r in reports):.0f}"
          " B of text", flush=True)

    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        base = pool.submit(baseline, reports[:args.baseline_n], str(index)).result()
    print(f"  baseline in-process (extraction + geocoding handlers, one process): {base['reports_per_s']} reports/s",
          flush=True)

    data = Path(tempfile.mkdtemp(prefix="dronewatch-bench-"))
    try:
        with running_stack(data, index, {}) as stack:
            res = Resources(stack.pids)
            print("  stack ready; measuring", flush=True)
            out = asyncio.run(measure(stack, args, reports, res))
            peak = res.peak_rss_mb()
    finally:
        if args.keep:
            print(f"  data kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)

    lat, thr = out["latency"], out["throughput"]
    ratio = (thr["sustained_per_s"] / base["reports_per_s"]) if thr["sustained_per_s"] else None
    result = {"run": run, "cpus": os.cpu_count(), "load_before": load_before, "load_after": _load(),
              "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
              "mean_report_bytes": round(statistics.mean(len(r["text"].encode()) for r in reports)),
              "baseline": base, **out, "ratio_to_baseline": _r(ratio, 2), "peak_rss_mb": peak,
              "targets": {"sustained >= 300 reports/s": (thr["sustained_per_s"] or 0) >= 300,
                          "p99 <= 1 s at 50 reports/s": lat["p99_s"] is not None and lat["p99_s"] <= 1.0
                          and args.rate >= 50 and lat["lost"] == 0,
                          "incident p99 <= 1 s at 50 reports/s": lat["incident_p99_s"] is not None
                          and lat["incident_p99_s"] <= 1.0 and args.rate >= 50,
                          "throughput >= 0.7 x baseline": (ratio or 0) >= 0.7}}
    report(result)
    path = args.json or ROOT / "var" / "bench" / f"e2e-{run}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"  written to {path}")
    return 0


def report(r: dict) -> None:
    lat, thr, base = r["latency"], r["throughput"], r["baseline"]
    print(f"\n(a) latency, {lat['endpoint']} at {lat['offered_rate_per_s']:g}/s for {lat['posting_s']} s "
          f"({lat['reports']} reports): post -> processed at the gateway")
    print(f"    p50 {lat['p50_s']} s  p95 {lat['p95_s']} s  p99 {lat['p99_s']} s  max {lat['max_s']} s; "
          f"processed {lat['processed']}, failed {lat['failed']}, lost {lat['lost']}, "
          f"post errors {lat['post_errors']}; generator at most {lat['generator_max_late_ms']} ms late")
    print(f"    post -> in an incident on incidents.v1 ({lat.get('incident_reports')} reports): "
          f"p50 {lat.get('incident_p50_s')} s  p99 {lat.get('incident_p99_s')} s  max {lat.get('incident_max_s')} s")
    print(f"(b) throughput, {thr['endpoint']}, window {thr['window']}: {thr['accepted']} reports in "
          f"{thr['posting_s']} s of posting")
    print(f"    sustained {thr['sustained_per_s']} reports/s (after {thr['warmup_s']} s), "
          f"overall {thr['overall_per_s']} reports/s incl. {thr['drain_s']} s drain; "
          f"at the gateway: {thr['at_gateway']}")
    print(f"baseline in-process: {base['reports_per_s']} reports/s ({base['reports']} reports, "
          f"p50 {base['p50_ms']} ms, p99 {base['p99_ms']} ms per report); "
          f"end-to-end / baseline = {r['ratio_to_baseline']}")
    idle = r.get("idle", {"cpu_s": {}, "wall_s": 1.0})
    columns = [("idle", idle), ("(a)", lat), ("(b)", thr)]
    print("\n" + f"{'process':<11}" + "".join(f"{'CPU % ' + c:>11}" for c, _ in columns)
          + f"{'CPU s (b)':>11}{'ms/report (b)':>15}{'peak RSS MB':>13}")
    per_report = thr.get("cpu_ms_per_report", {})
    for n in ("ingestion", "extraction", "geocoding", "storage", "incidents", "gateway", "broker", "generator"):
        if n not in r["peak_rss_mb"]:
            continue
        pcts = "".join(f"{100 * ph['cpu_s'].get(n, 0.0) / ph['wall_s']:>11.0f}" for _, ph in columns)
        print(f"{n:<11}{pcts}{thr['cpu_s'].get(n, 0.0):>11.1f}{per_report.get(n, 0.0):>15.2f}"
              f"{r['peak_rss_mb'][n]:>13.0f}")
    pipeline = sum(per_report.get(n, 0.0) for n in ("ingestion", "extraction", "geocoding", "storage", "broker"))
    print(f"{'pipeline':<11}{'':>{11 * len(columns) + 11}}{pipeline:>15.2f}   (ingestion to storage, broker included;"
          " (b) includes the drain, and the gateway its check of every report)")
    print(f"\n{'stage (handling time from its /metrics)':<52}{'(a) n':>8}{'mean ms':>9}{'(b) n':>8}{'mean ms':>9}")
    for key in sorted(set(lat.get("stages", {})) | set(thr.get("stages", {}))):
        a, b = lat.get("stages", {}).get(key, {}), thr.get("stages", {}).get(key, {})
        print(f"{key:<52}{a.get('handled', 0):>8}{a.get('mean_ms', 0):>9}{b.get('handled', 0):>8}"
              f"{b.get('mean_ms', 0):>9}")
    print(f"\nload average before {r['load_before']}, after {r['load_after']} ({r['cpus']} CPUs)")
    for name, ok in r["targets"].items():
        print(f"  target {name}: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
