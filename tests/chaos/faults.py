"""The soak's faults: a plan drawn from a seed, and the thread that carries it out while acting as
the supervisor (compose's `restart: unless-stopped`) that starts again whatever died.

The plan is fixed by the seed before the run starts: the same seed gives the same faults, at the
same offsets, on the same targets. Kinds are dealt from a shuffled deck (every kind, kill twice,
before any repeats), and so are the services to kill or pause (every one before any repeats; then
one of its instances at random), so a ten-minute run kills four or five of the five services;
parameters are drawn at random."""
from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.kafka.broker import LocalBroker
from shared.kafka.clients import ensure_topics
from shared.messages import ArticleReceived
from shared.topics import ALL_TOPICS, ARTICLES_RECEIVED
from tests.e2e.stack import Running
from tests.e2e.tcp_proxy import TcpProxy
from tests.kafka_helpers import produce_raw

KINDS = ("kill", "broker_restart", "db_outage", "pause", "poison")
DECK = ("kill", "kill", "broker_restart", "db_outage", "pause", "poison")
RESTART_DELAY_S = 1.0  # how long the supervisor waits before starting a dead process again


@dataclass(frozen=True)
class Fault:
    at_s: float  # planned start, seconds after the load began
    kind: str
    target: str = ""  # the process (kill, pause)
    duration_s: float = 0.0  # db_outage, pause
    count: int = 0  # poison

    def describe(self) -> str:
        return {"kill": f"kill -9 {self.target}",
                "broker_restart": "kill -9 of the broker, restarted empty (memory storage)",
                "db_outage": f"database cut off for {self.duration_s:.0f} s (storage, gateway)",
                "pause": f"SIGSTOP {self.target} for {self.duration_s:.1f} s, then SIGCONT",
                "poison": f"{self.count} poison records into {ARTICLES_RECEIVED.name}"}[self.kind]


def plan_faults(seed: int, *, start_s: float, end_s: float, kill_targets: list[str], pause_targets: list[str],
                session_timeout_s: float, gap_s: tuple[float, float] = (20.0, 40.0),
                outage_s: float = 30.0) -> list[Fault]:
    """The faults of one run: one every `gap_s` seconds from `start_s`, none after `end_s`."""
    rng = random.Random(seed)
    plan: list[Fault] = []
    decks: dict[str, list[str]] = {}

    def deal(name: str, cards: list[str]) -> str:
        if not decks.get(name):
            decks[name] = list(cards)
            rng.shuffle(decks[name])
        return decks[name].pop()

    def instance(deck: str, keys: list[str]) -> str:
        service = deal(deck, sorted({_service(k) for k in keys}))
        return rng.choice([k for k in keys if _service(k) == service])

    t = start_s
    while (t := t + rng.uniform(*gap_s)) <= end_s:
        kind = deal("kinds", list(DECK))
        if kind == "kill":
            plan.append(Fault(round(t, 1), kind, target=instance("kill", kill_targets)))
        elif kind == "pause":  # longer than the session timeout: the group throws the worker out
            plan.append(Fault(round(t, 1), kind, target=instance("pause", pause_targets),
                              duration_s=round(session_timeout_s * rng.uniform(3, 5), 1)))
        elif kind == "db_outage":
            plan.append(Fault(round(t, 1), kind, duration_s=outage_s))
        elif kind == "poison":
            plan.append(Fault(round(t, 1), kind, count=rng.randint(20, 60)))
        else:
            plan.append(Fault(round(t, 1), kind))
    return plan


def _service(key: str) -> str:
    """'extraction-2' -> 'extraction': the service an instance key belongs to."""
    name, _, n = key.rpartition("-")
    return name if name and n.isdigit() else key


@dataclass
class Done:
    fault: Fault
    started_s: float
    took_s: float
    note: str = ""


@dataclass
class Exit:
    at_s: float
    key: str
    returncode: int | None
    planned: bool


@dataclass
class ChaosLog:
    done: list[Done] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    warmup_rss_mb: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def rss_mb(pid: int) -> float:
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


class Chaos(threading.Thread):
    """Carries out `plan` from `t0` (time.monotonic() when the load began) and supervises the
    stack's processes until `halt()`. At `warmup_s` it samples every process's RSS."""

    def __init__(self, running: Running, broker: LocalBroker, proxy: TcpProxy, plan: list[Fault], *, t0: float,
                 warmup_s: float, seed: int, say: Callable[[str], None] = print) -> None:
        super().__init__(daemon=True, name="chaos")
        self.running, self.broker, self.proxy, self.plan = running, broker, proxy, plan
        self.t0, self.warmup_s, self.seed, self.say = t0, warmup_s, seed, say
        self.log = ChaosLog()
        self._halt = threading.Event()
        self._killed: set[str] = set()  # keys killed by a fault: their exit is planned
        self._dead_since: dict[str, float] = {}

    def halt(self) -> None:
        self._halt.set()
        self.join(120)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def run(self) -> None:
        try:
            self._wait_until(self.warmup_s)
            self.log.warmup_rss_mb = {k: rss_mb(p.pid) for k, p in self.running.stack.procs.items()
                                      if p.poll() is None}
            for fault in self.plan:
                self._wait_until(fault.at_s)
                if self._halt.is_set():
                    return
                started = self.now()
                self.say(f"[{started:6.1f}s] fault: {fault.describe()}")
                note = getattr(self, f"_{fault.kind}")(fault)
                self.log.done.append(Done(fault, round(started, 1), round(self.now() - started, 1), note or ""))
            while not self._halt.is_set():
                self._wait(0.5)
        except Exception as err:  # noqa: BLE001 - reported as the soak's failure, with the traceback's gist
            self.log.error = f"{type(err).__name__}: {err}"
            self.say(f"chaos thread failed: {self.log.error}")

    # --- waiting while supervising --------------------------------------------------------------
    def _wait_until(self, at_s: float) -> None:
        while self.now() < at_s and not self._halt.is_set():
            self._wait(min(0.25, at_s - self.now()))

    def _wait(self, seconds: float) -> None:
        self.supervise()
        self._halt.wait(max(0.0, seconds))

    def supervise(self) -> None:
        """Start again, after RESTART_DELAY_S, every process that exited (killed or on its own)."""
        stack = self.running.stack
        for key, proc in list(stack.procs.items()):
            if proc.poll() is None:
                continue
            if key not in self._dead_since:
                planned = key in self._killed
                self._killed.discard(key)
                self._dead_since[key] = time.monotonic()
                self.log.exits.append(Exit(round(self.now(), 1), key, proc.returncode, planned))
                if not planned:
                    self.say(f"[{self.now():6.1f}s] {key} exited on its own (rc {proc.returncode}); "
                             f"see {stack.log_path(key)}")
            elif time.monotonic() - self._dead_since[key] >= RESTART_DELAY_S:
                del self._dead_since[key]
                stack.restart(key)

    # --- the faults ---------------------------------------------------------------------------
    def _kill(self, fault: Fault) -> str:
        self._killed.add(fault.target)
        self.running.stack.kill(fault.target)
        self.supervise()
        return f"pid {self.running.stack.procs[fault.target].pid}"

    def _pause(self, fault: Fault) -> str:
        proc = self.running.stack.procs[fault.target]
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            self._hold(fault.duration_s)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)
        return f"pid {proc.pid}"

    def _db_outage(self, fault: Fault) -> str:
        self.proxy.cut()
        try:
            self._hold(fault.duration_s)
        finally:
            self.proxy.restore()
        return ""

    def _broker_restart(self, fault: Fault) -> str:
        """kill -9 the broker and start it again on its port: with memory storage every topic, record,
        group and committed offset is gone, while the services keep their positions and metadata.
        The catalogue's topics are created again at once, as an operator's topic job would, and the
        stack's processes are frozen (SIGSTOP) from just before the kill until they exist: a client
        that sends to a topic in between is acknowledged into nothing and leaves that partition
        unusable for good (docs/operations.md, "The local broker"), a moment a durable Kafka never
        has. What the broker lost comes back from ingestion's outbox."""
        procs = [p for p in self.running.stack.procs.values() if p.poll() is None]
        for proc in procs:
            os.kill(proc.pid, signal.SIGSTOP)
        try:
            if self.broker.proc is not None:
                self.broker.proc.kill()
            self.broker.stop()
            self.broker.start()
            created = asyncio.run(ensure_topics(self.running.settings, ALL_TOPICS))
        finally:
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGCONT)
        return f"{len(created)} topics re-created; {len(procs)} processes frozen meanwhile"

    def _poison(self, fault: Fault) -> str:
        """Undecodable bytes, JSON that is not an envelope, and envelopes of an unknown version."""
        rng = random.Random(self.seed * 1000 + len(self.log.done))
        records = []
        for k in range(fault.count):
            key = f"chaos-poison-{self.seed}-{len(self.log.done)}-{k}".encode()
            shape = k % 3
            if shape == 0:
                value = rng.randbytes(rng.randint(1, 300))
            elif shape == 1:
                value = b'{"not": "an envelope", "n": %d}' % k
            else:
                value = (b'{"event_id": "x", "event_type": "%s", "schema_version": 99, "payload": {}}'
                         % ArticleReceived.EVENT_TYPE.encode())
            records.append((key, value))
        asyncio.run(asyncio.wait_for(produce_raw(self.running.settings, ARTICLES_RECEIVED, records), 30))
        return ""

    def _hold(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self._halt.is_set():
            self._wait(min(0.25, left))
