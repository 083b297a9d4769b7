"""The soak's load: synthetic reports posted open-loop at a fixed rate.

Each report says one thing happened at one place (an interception of N drones over a region), so
its stored outcome is known in advance: exactly one `interception` event with count N in that
region. Templates, regions, counts and a random reference make every text distinct (an exact
repeat would be answered as a duplicate of another report, a near-repeat would crowd the
near-duplicate index). A report the service does not answer (down, restarting) is posted again
until it is accepted, as a client would; `accepted` and `duplicate` both mean it is in.

Reports are dated a night apart every `REPORTS_PER_NIGHT` (about two per region and night, as a
governor's post and its retelling would be), so the incidents they make have the sizes real ones
have; undated, every report about a region would join one incident of hundreds of claims."""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.http import FastClient

REGIONS = {"Kursk region": "RU-KRS", "Bryansk region": "RU-BRY", "Belgorod region": "RU-BEL",
           "Voronezh region": "RU-VOR", "Oryol region": "RU-ORL", "Tula region": "RU-TUL",
           "Kaluga region": "RU-KLU", "Lipetsk region": "RU-LIP", "Tambov region": "RU-TAM",
           "Smolensk region": "RU-SMO", "Ryazan region": "RU-RYA", "Rostov region": "RU-ROS"}
TEMPLATES = (
    "Air defence destroyed {n} drones over {region} overnight, the governor said in bulletin {ref}.",
    "Air defence forces shot down {n} drones over {region} overnight, the regional governor said (bulletin {ref}).",
    "Overnight, air defence systems intercepted {n} drones over {region}, the governor wrote in bulletin {ref}.",
    "Air defence units downed {n} drones over {region} last night, the governor said in his bulletin {ref}.",
)
RETRY_AFTER_S = 1.0
REPORTS_PER_NIGHT = 24  # about two per region
FIRST_NIGHT = datetime(2026, 1, 1, 6, tzinfo=UTC)


@dataclass(frozen=True)
class Expected:
    """What the store must hold for one report: one interception event of `count` in `admin1`."""

    count: int
    admin1: str


def make_report(rng: random.Random, run: str, i: int) -> tuple[dict, Expected]:
    region = rng.choice(sorted(REGIONS))
    count = rng.randint(2, 40)
    ref = f"{run}-{i} " + " ".join(f"{rng.getrandbits(32):08x}" for _ in range(3))
    text = TEMPLATES[i % len(TEMPLATES)].format(n=count, region=region, ref=ref)
    published = FIRST_NIGHT + timedelta(days=i // REPORTS_PER_NIGHT)
    return ({"id": f"chaos-{run}-{i}", "language": "en", "text": text, "published_at": published.isoformat()},
            Expected(count, REGIONS[region]))


@dataclass
class LoadStats:
    offered: int = 0
    attempts: int = 0
    retried: set[str] = field(default_factory=set)  # reports posted more than once
    expected: dict[str, Expected] = field(default_factory=dict)  # every report offered
    accepted: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)  # a 4xx: the report itself was refused
    errors: dict[str, int] = field(default_factory=dict)  # posts without an answer, by exception
    late_ms: float = 0.0  # how far the generator fell behind its schedule, at most

    @property
    def unaccepted(self) -> list[str]:
        return sorted(set(self.expected) - self.accepted - set(self.rejected))


class Poster:
    """Posts `rate` reports a second to POST /v1/articles until `stop_at` (time.monotonic()), each at
    its scheduled time whether or not earlier ones were answered; retries each until accepted or
    until `give_up_at`."""

    def __init__(self, ingest: str, *, rate: float, seed: int, run: str) -> None:
        self.ingest, self.rate, self.run_id = ingest, rate, run
        self.rng = random.Random(seed)
        self.stats = LoadStats()

    async def run(self, stop_at: float, give_up_at: float) -> LoadStats:
        async with FastClient(size=64, timeout_s=15) as client:
            tasks: set[asyncio.Task] = set()
            t0 = time.monotonic()
            i = 0
            while (due := t0 + i / self.rate) < stop_at:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                self.stats.late_ms = max(self.stats.late_ms, (time.monotonic() - due) * 1000)
                report, expected = make_report(self.rng, self.run_id, i)
                self.stats.expected[report["id"]] = expected
                self.stats.offered += 1
                task = asyncio.create_task(self._post_until_in(client, report, give_up_at))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                i += 1
            if tasks:
                await asyncio.gather(*tasks)
        return self.stats

    async def _post_until_in(self, client: FastClient, report: dict, give_up_at: float) -> None:
        while True:
            self.stats.attempts += 1
            try:
                reply = await client.post(f"{self.ingest}/v1/articles", json=report)
                if reply.status_code in (200, 202) and reply.json().get("status") in ("accepted", "duplicate"):
                    self.stats.accepted.add(report["id"])
                    return
                if 400 <= reply.status_code < 500 and reply.status_code != 429:
                    self.stats.rejected[report["id"]] = f"{reply.status_code} {reply.text[:200]}"
                    return
            except Exception as err:  # noqa: BLE001 - no answer (down, restarting, cut off): post it again later
                name = type(err).__name__
                self.stats.errors[name] = self.stats.errors.get(name, 0) + 1
            if time.monotonic() + RETRY_AFTER_S > give_up_at:
                return
            self.stats.retried.add(report["id"])
            await asyncio.sleep(RETRY_AFTER_S)
