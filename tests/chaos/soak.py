"""One soak run: a broker, a PostgreSQL database and a proxy of its own, the stack with two workers
each of the scaled-out services, the load, the faults, the drain, the checks and the printed table.

Storage and the gateway reach PostgreSQL through the proxy (so an outage cuts them, not the shared
server); the checks read the database directly. The broker keeps everything in memory: a restart
loses every topic, record and committed offset, and what is lost comes back only through
ingestion's outbox, which re-publishes a report storage has not confirmed after
INGESTION_REDELIVER_AFTER_S. That is what the soak relies on and checks."""
from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka.errors import KafkaError
from sqlalchemy import create_engine, text

from shared.kafka.broker import LocalBroker
from tests.chaos.checks import StoreOutcome, lag_now, outbox_state, store_outcome
from tests.chaos.faults import Chaos, ChaosLog, Fault, plan_faults, rss_mb
from tests.chaos.load import LoadStats, Poster
from tests.conftest import PG_ADMIN_URL
from tests.e2e.stack import Running, running_stack
from tests.e2e.tcp_proxy import TcpProxy

# Workers per service (the others run one each): each scaled-out service forms one consumer group
# of two. A new stage joins the soak with one line here (its topics and group come from the
# catalogue; its table goes into checks.NATURAL_KEYS). The incidents workers share the store's
# PostgreSQL for their state; checks.incident_claims reads it.
INSTANCES: dict[str, int] = {
    "extraction": 2,
    "geocoding": 2,
    "incidents": 2,
}
SESSION_TIMEOUT_S = 2.0  # the e2e stack's KAFKA_SESSION_TIMEOUT_MS
INGESTION_ENV = {
    "INGESTION_RELAY_INTERVAL_S": "1",
    "INGESTION_REDELIVER_AFTER_S": "20",  # a report the broker lost comes back after 20 s (doubling)
    "KAFKA_REQUEST_TIMEOUT_MS": "5000",
    # The near-duplicate index is a cache bounded by design (20,000 reports by default, ~7 KB
    # each): capped here so that it is full by the end of warm-up, its growth to the cap is not
    # read as a leak, and any growth after warm-up is.
    "INGESTION_NEAR_DUP_MAX_ROWS": "500",
}
# The incidents workers' incident cache is bounded by design too (20,000 claims by default): capped
# likewise, so that it is full by the end of warm-up.
INCIDENTS_ENV = {"INCIDENTS_CACHE_CLAIMS": "300"}
RSS_GROWTH_LIMIT = 1.20


class Unavailable(Exception):
    """PostgreSQL cannot be reached: the soak cannot run here."""


@dataclass
class SoakConfig:
    seed: int
    data_dir: Path
    duration_s: float = 600.0  # load, warm-up included
    warmup_s: float = 30.0  # no faults; RSS is sampled at its end
    rate: float = 50.0  # reports per second
    drain_s: float = 240.0  # at most, after the load and the last fault
    outage_s: float = 30.0
    gap_s: tuple[float, float] = (20.0, 40.0)
    instances: dict[str, int] = field(default_factory=lambda: dict(INSTANCES))


@dataclass
class SoakResult:
    cfg: SoakConfig
    plan: list[Fault]
    chaos: ChaosLog
    load: LoadStats
    store: StoreOutcome
    outbox: dict[str, int]
    lag: dict[str, int]
    rss_end_mb: dict[str, float]
    restarts: dict[str, int]
    drain_took_s: float
    checks: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(ok for _, _, ok in self.checks)


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database of the soak's own (dropped afterwards); its URL."""
    name = f"dronewatch_chaos_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # noqa: BLE001 - any failure to reach the server
        raise Unavailable(f"PostgreSQL is not reachable ({PG_ADMIN_URL}): {err}") from err
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_soak(cfg: SoakConfig, say: Callable[[str], None] = print) -> SoakResult:
    (cfg.data_dir / "log").mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        db_url = stack.enter_context(pg_database())
        broker = LocalBroker.start_on_free_port(log_path=cfg.data_dir / "log" / "broker.log")
        stack.callback(broker.stop)
        proxy = TcpProxy("127.0.0.1", 5432)
        proxy.start()
        stack.callback(proxy.cut)
        via_proxy = re.sub(r"@127\.0\.0\.1:5432/", f"@127.0.0.1:{proxy.port}/", db_url)
        env = {"storage": {"DATABASE_URL": via_proxy, "TRANSIENT_RETRY_MAX_S": "120"},
               "gateway": {"DATABASE_URL": via_proxy}, "ingestion": INGESTION_ENV, "incidents": INCIDENTS_ENV}
        say(f"starting the stack ({', '.join(f'{n} x {s}' for s, n in cfg.instances.items())}), "
            f"logs in {cfg.data_dir / 'log'}")
        running = stack.enter_context(running_stack(broker.bootstrap, cfg.data_dir, db_url,
                                                    instances=cfg.instances, service_env=env))
        return _soak(cfg, running, broker, proxy, db_url, say)


def _soak(cfg: SoakConfig, running: Running, broker: LocalBroker, proxy: TcpProxy, db_url: str,
          say: Callable[[str], None]) -> SoakResult:
    plan = plan_faults(cfg.seed, start_s=cfg.warmup_s, end_s=cfg.duration_s - 5, kill_targets=list(running.stack.procs),
                       pause_targets=list(running.ops), session_timeout_s=SESSION_TIMEOUT_S, gap_s=cfg.gap_s,
                       outage_s=cfg.outage_s)
    say(f"seed {cfg.seed}: {len(plan)} faults planned over {cfg.duration_s:.0f} s at {cfg.rate:.0f} reports/s")
    t0 = time.monotonic()
    chaos = Chaos(running, broker, proxy, plan, t0=t0, warmup_s=cfg.warmup_s, seed=cfg.seed, say=say)
    chaos.start()
    poster = Poster(running.ingest, rate=cfg.rate, seed=cfg.seed, run=uuid.uuid4().hex[:6])
    load = asyncio.run(poster.run(stop_at=t0 + cfg.duration_s, give_up_at=t0 + cfg.duration_s + cfg.drain_s / 2))
    say(f"[{time.monotonic() - t0:6.1f}s] load stopped: {load.offered} offered, {len(load.accepted)} accepted")
    while len(chaos.log.done) < len(plan) and chaos.is_alive() and chaos.log.error is None:
        time.sleep(0.5)  # the last fault runs to its end (an outage is restored) before the drain
    drain_start = time.monotonic()
    store, outbox, lag = _drain(cfg, running, db_url, load, drain_start + cfg.drain_s, say)
    drain_took = time.monotonic() - drain_start
    rss_end = {k: rss_mb(p.pid) for k, p in running.stack.procs.items() if p.poll() is None}
    chaos.halt()
    restarts = {k: sum(1 for e in chaos.log.exits if e.key == k) for k in running.stack.procs}
    result = SoakResult(cfg, plan, chaos.log, load, store, outbox, lag, rss_end, restarts, round(drain_took, 1))
    result.checks = _checks(result)
    return result


def _drain(cfg: SoakConfig, running: Running, db_url: str, load: LoadStats, deadline: float,
           say: Callable[[str], None]) -> tuple[StoreOutcome, dict[str, int], dict[str, int]]:
    """Wait until every accepted report is stored and processed, the outbox is empty and no group
    lags (or the deadline passes); returns the last look at each."""
    said = 0.0
    while True:
        store = store_outcome(db_url, load.expected, load.accepted)
        try:
            outbox = outbox_state(running.ingest)
        except (httpx.HTTPError, ValueError):
            outbox = {}
        try:
            lag = lag_now(running.settings)
        except (KafkaError, TimeoutError, OSError) as err:
            lag = {f"unknown ({type(err).__name__})": -1}
        drained = store.ok and outbox.get("pending") == 0 and not any(lag.values())
        if drained or time.monotonic() > deadline:
            if not drained:
                detail: dict[str, str] = {}
                with contextlib.suppress(KafkaError, TimeoutError, OSError):
                    lag_now(running.settings, detail)
                say("not drained; committed/high watermark per partition:\n"
                    + "\n".join(f"  {k}: {v}" for k, v in detail.items()))
            return store, outbox, lag
        if time.monotonic() - said > 10:
            said = time.monotonic()
            say(f"  draining: {store.processed}/{store.expected} processed, outbox {outbox or 'unavailable'}, "
                f"lag {sum(v for v in lag.values() if v > 0)}")
        time.sleep(2)


def _checks(r: SoakResult) -> list[tuple[str, str, bool]]:
    load, store = r.load, r.store
    dup = ", ".join(f"{t} {n}" for t, n in store.duplicates.items())
    lagging = {k: v for k, v in r.lag.items() if v}
    # Ingestion re-publishes what the broker lost only until storage's receipt: events the incidents
    # service had not read when the in-memory broker lost everything do not come back to it.
    broker_lost = any(d.fault.kind == "broker_restart" for d in r.chaos.done)
    out = [
        ("every offered report accepted",
         f"{len(load.accepted)}/{load.offered} ({len(load.retried)} needed a retry; rejected {len(load.rejected)})",
         not load.unaccepted and not load.rejected),
        ("every accepted report stored once and processed",
         f"{store.processed}/{store.expected}; missing {len(store.missing)}, not processed {len(store.not_processed)}"
         + (f" e.g. {list(store.not_processed.items())[:3] or store.missing[:3]}"
            if store.missing or store.not_processed else ""),
         not store.missing and not store.not_processed and store.processed == store.expected),
        ("each report's one event, no event duplicated",
         f"wrong {len(store.wrong_events)}; rows repeating a natural key: {dup}"
         + (f" e.g. {list(store.wrong_events.items())[:2]}" if store.wrong_events else ""),
         not store.wrong_events and not any(store.duplicates.values())),
        ("each stored event in exactly one active incident",
         f"unclaimed {store.unclaimed}, claimed twice {store.claimed_twice}, "
         f"claims of gone events {store.stale_claims}"
         + (" (the broker lost every topic: what incidents had not read yet is gone, docs/architecture.md)"
            if broker_lost and store.unclaimed else ""),
         not ((store.unclaimed and not broker_lost) or store.claimed_twice or store.stale_claims)),
        ("ingestion's outbox empty",
         ", ".join(f"{k} {v}" for k, v in r.outbox.items()) or "unavailable",
         r.outbox.get("pending") == 0 and r.outbox.get("gave_up") == 0),
        ("no consumer group lags",
         f"{len(r.lag)} group/topic pairs, lagging: {lagging or 'none'}", bool(r.lag) and not lagging),
    ]
    growth = {}
    for key, warm in r.chaos.warmup_rss_mb.items():
        if key in r.rss_end_mb and warm > 0:
            growth[key] = r.rss_end_mb[key] / warm
    over = {k: round(g, 2) for k, g in growth.items() if g > RSS_GROWTH_LIMIT}
    out.append((f"RSS at the end within {RSS_GROWTH_LIMIT - 1:.0%} of warm-up",
                f"{len(growth)} processes, largest ratio {max(growth.values(), default=0):.2f}"
                + (f"; over: {over}" if over else ""), bool(growth) and not over))
    out.append(("every planned fault carried out",
                f"{len(r.chaos.done)}/{len(r.plan)}" + (f"; chaos thread: {r.chaos.error}" if r.chaos.error else ""),
                len(r.chaos.done) == len(r.plan) and r.chaos.error is None))
    return out


def format_result(r: SoakResult) -> str:
    cfg = r.cfg
    workers = ", ".join(f"{n} x {s}" for s, n in cfg.instances.items())
    lines = [f"chaos soak, seed {cfg.seed}: {cfg.duration_s:.0f} s at {cfg.rate:.0f} reports/s ({workers}), "
             f"drained in {r.drain_took_s} s: {'PASSED' if r.ok else 'FAILED'}",
             f"reproduce: make chaos CHAOS_ARGS='--seed {cfg.seed} --duration-s {cfg.duration_s:.0f}'", "",
             "| t (s) | fault | took (s) | note |", "|---:|---|---:|---|"]
    lines += [f"| {d.started_s} | {d.fault.describe()} | {d.took_s} | {d.note} |" for d in r.chaos.done]
    lines += ["", "| check | result | |", "|---|---|---|"]
    lines += [f"| {name} | {detail} | {'ok' if ok else 'FAIL'} |" for name, detail, ok in r.checks]
    lines += ["", "| process | RSS after warm-up (MB) | RSS at end (MB) | ratio | exits (unplanned) |",
              "|---|---:|---:|---:|---|"]
    for key in sorted(r.rss_end_mb):
        warm, end = r.chaos.warmup_rss_mb.get(key), r.rss_end_mb[key]
        exits = [e for e in r.chaos.exits if e.key == key]
        unplanned = [e for e in exits if not e.planned]
        ratio = f"{end / warm:.2f}" if warm else "-"
        lines.append(f"| {key} | {warm or '-'} | {end} | {ratio} | {len(exits)} ({len(unplanned)}"
                     + (f": rc {', '.join(str(e.returncode) for e in unplanned)}" if unplanned else "") + ") |")
    load = r.load
    lines += ["", f"load: {load.attempts} posts for {load.offered} reports, posts without an answer "
              f"{load.errors or 'none'}, generator at most {load.late_ms:.0f} ms behind schedule; "
              f"poison records dead-lettered and marked failed: {r.store.poison_failed} of "
              f"{sum(d.fault.count for d in r.chaos.done)}"]
    return "\n".join(lines)
