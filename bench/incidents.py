"""Incidents engine benchmark: the service's two handlers (routing, then the region engine) on its
SQL state store, without a broker, over synthetic reports (20 regions, 10 places each, a new night
every 6 hours of report time, 3 to 5 reports per incident, some region-wide claims). Prints, for
the state store given: sustained reports/s with consumer batches of 200 (as the runner hands them
over) while the state grows, and the CPU time per report then (every thread of the process: on a
shared machine the steadier figure); and the handling time per report one at a time (p50/p99),
which is what a report adds to post -> incident at a light load. Asserts nothing.

    .venv/bin/python -m bench.incidents [--n 20000] [--url sqlite:///tmp/x.db]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.incidents.adapters.sql import SqlState, make_state_engine
from services.incidents.handlers import handle_claims_routed_many, handle_events_geocoded_many
from services.incidents.rules import Rules
from shared.messages import EventsGeocoded, GeocodedArticle, IncidentEvent, Location, derived_id

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def place(region: int, k: int) -> Location:
    if k < 0:
        return Location(name=f"Region {region}", country_code="RU", admin1_code=f"RU-B{region:02d}",
                        precision="admin1", lat=50.0 + region, lon=40.0)
    return Location(name=f"Place {region}-{k}", country_code="RU", admin1_code=f"RU-B{region:02d}",
                    admin2=f"District {region}-{k // 3}", city=f"Place {region}-{k}", precision="city",
                    lat=50.0 + region + k * 0.3, lon=40.0 + k * 0.3)


def reports(n: int, seed: int = 7) -> list[EventsGeocoded]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        published = T0 + timedelta(seconds=i * 6 * 3600 / 60)  # 60 reports per 6 hours of report time
        region, k = rnd.randrange(20), rnd.randrange(-1, 10)
        aid = f"b-{i}"
        loc = place(region, k)
        ev = IncidentEvent(id=derived_id(aid, "interception", "uav", loc.name), article_id=aid, type="interception",
                           weapon="uav", count=rnd.randint(1, 9), location=loc, published_at=published,
                           source=f"s{rnd.randrange(40)}")
        article = GeocodedArticle(article_id=aid, language="en", published_at=published, source=ev.source,
                                  events=[ev])
        out.append(EventsGeocoded.create(producer="bench", correlation_id=aid, payload=article))
    return out


async def handle(state: SqlState, batch: list[EventsGeocoded], rules: Rules) -> int:
    routed = await handle_events_geocoded_many(batch, state=state)
    return len(await handle_claims_routed_many(routed, state=state, rules=rules))


async def run(n: int, url: str) -> None:
    engine = make_state_engine(url)
    state, rules = SqlState(engine), Rules()
    msgs = reports(n)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, n - 500, 200):
        await handle(state, msgs[i:i + 200], rules)
    sustained = (n - 500) / (time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu) / (n - 500) * 1000
    singles = []
    for m in msgs[n - 500:]:
        t = time.perf_counter()
        await handle(state, [m], rules)
        singles.append(time.perf_counter() - t)
    held = len(state.incidents())
    engine.dispose()
    q = statistics.quantiles(singles, n=100)
    print(f"{url.split(':')[0]}: {n} reports, {held} incidents; batches of 200: {sustained:.0f} reports/s, "
          f"{cpu_ms:.2f} ms of CPU per report; "
          f"one at a time: p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--url", default=None, help="state store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.n, args.url or f"sqlite:///{Path(tmp) / 'incidents.db'}"))


if __name__ == "__main__":
    main()
