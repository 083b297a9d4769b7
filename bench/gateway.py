"""Gateway benchmark: latency and throughput of typical filtered queries over a store of 100,000
events, on SQLite and on PostgreSQL.

    python -m bench.gateway [--events 100000] [--db sqlite,postgresql] [--rate 200] [--duration 20]
                            [--concurrency 16] [--workers 1] [--json out.json] [--cpu N]

For each database it makes a fresh store (SQLite: a file in a temporary folder; PostgreSQL: a
database of its own on TEST_PG_ADMIN_URL's server, dropped afterwards), migrates it with storage's
migrations (with the event indexes exactly as `shared/store/tables.py` declares them) and fills it through
the store's own tables in bulk: events spread over 24 regions of Russia and Ukraine, four types,
five weapons, a year of days, with counts, casualties, claimants and evidence. It then starts the
gateway as a process (`python -m services.gateway`, `GATEWAY_WORKERS=--workers`) and drives it on
loopback with the lightweight HTTP/1.1 client of `bench/http.py`:

1. open loop at a fixed `--rate` for `--duration` seconds (after a 5 s warm-up at that rate):
   each request is queued at its scheduled time whether or not earlier ones have returned, and
   its latency is counted from that scheduled time, so a server that falls behind cannot hide
   its queue (no coordinated omission); p50, p90, p99, max overall and per query kind;
2. closed loop with `--concurrency` clients as fast as they go for `--duration` / 2 seconds: the
   most requests per second it serves.

The queries are an analyst's morning: a region since a date, type and country since a date, a
2-degree box with a weapon, within 50 km of a point since a date, inside a region's outline since
a date, newest first in a region, the GeoJSON of a region since a date, and stats by day for a
region; pages of 50. The load generator
shares the machine's cores with the server, so the figures are a floor.

`--cpu N` measures instead the server's own CPU per query kind, which other work on the machine
disturbs far less than latency: the gateway's ASGI app in this process (no HTTP client, no socket)
answers N queries of each kind, and the process CPU time (all threads) is divided by N.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, text

from bench.http import FastClient
from shared.kafka.broker import free_port
from shared.messages import IncidentEvent
from shared.store.tables import articles, events

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REGIONS = [  # (ISO 3166-2, name, lat, lon)
    ("RU-BEL", "Belgorod Oblast", 50.6, 36.6), ("RU-KRS", "Kursk Oblast", 51.7, 36.2),
    ("RU-BRY", "Bryansk Oblast", 53.2, 34.4), ("RU-VOR", "Voronezh Oblast", 51.7, 39.2),
    ("RU-ROS", "Rostov Oblast", 47.2, 39.7), ("RU-KDA", "Krasnodar Krai", 45.0, 39.0),
    ("RU-MOS", "Moscow Oblast", 55.7, 37.6), ("RU-SMO", "Smolensk Oblast", 54.8, 32.0),
    ("RU-ORL", "Oryol Oblast", 52.97, 36.06), ("RU-TUL", "Tula Oblast", 54.2, 37.6),
    ("RU-KLU", "Kaluga Oblast", 54.5, 36.3), ("RU-LIP", "Lipetsk Oblast", 52.6, 39.6),
    ("UA-63", "Kharkiv Oblast", 49.99, 36.23), ("UA-59", "Sumy Oblast", 50.9, 34.8),
    ("UA-74", "Chernihiv Oblast", 51.5, 31.3), ("UA-30", "Kyiv", 50.45, 30.52),
    ("UA-51", "Odesa Oblast", 46.48, 30.72), ("UA-12", "Dnipropetrovsk Oblast", 48.46, 35.04),
    ("UA-23", "Zaporizhzhia Oblast", 47.84, 35.14), ("UA-48", "Mykolaiv Oblast", 46.97, 32.0),
    ("UA-46", "Lviv Oblast", 49.84, 24.03), ("UA-18", "Zhytomyr Oblast", 50.25, 28.66),
    ("UA-53", "Poltava Oblast", 49.59, 34.55), ("UA-71", "Cherkasy Oblast", 49.44, 32.06),
]
TYPES = ["interception"] * 6 + ["attack"] * 2 + ["impact", "debris_fall"]
WEAPONS = ["uav"] * 6 + ["missile"] * 2 + ["glide_bomb", "artillery", "unknown"]
CLAIMANTS = ["Ministry of Defence", "Governor", "Air Force Command", "Regional Military Administration", None]
EPOCH = datetime(2025, 11, 1, tzinfo=UTC)
KINDS = ["region_since", "type_country", "bbox", "near", "in_outline", "newest_in_region", "geojson", "stats"]


def make_rows(n: int, seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`n` event rows (columns as storage writes them) over n/3 articles, reproducibly random."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    arts, rows = [], []
    for a in range((n + 2) // 3):
        art_id = f"bench-{a}"
        published = EPOCH + timedelta(minutes=rng.randrange(365 * 24 * 60))
        arts.append({"id": art_id, "status": "processed", "language": rng.choice(["en", "ru", "uk"]),
                     "source": "bench", "published_at": published, "updated_at": now, "event_count": 0})
        for k in range(min(3, n - len(rows))):
            code, name, lat, lon = rng.choice(REGIONS)
            lat, lon = round(lat + rng.uniform(-0.8, 0.8), 4), round(lon + rng.uniform(-1.2, 1.2), 4)
            kind, weapon = rng.choice(TYPES), rng.choice(WEAPONS)
            count = rng.choice([None, 1, 1, 2, 3, 5, 8, 12, 20])
            killed, injured = rng.choice([None, 0, 0, 0, 1, 2]), rng.choice([None, 0, 0, 1, 2, 4])
            start = published - timedelta(hours=rng.randrange(1, 12))
            claimant = rng.choice(CLAIMANTS)
            mention = f"{name.split()[0]} region"
            body = {"id": f"{art_id}-{k}", "article_id": art_id, "type": kind, "weapon": weapon, "count": count,
                    "killed": killed, "injured": injured, "damage": kind == "impact" or None,
                    "claimed_by": f"{claimant} of {name}" if claimant else None,
                    "occurred_at": {"start": start.isoformat(), "end": None, "precision": "night",
                                    "text": "overnight", "span": [0, 9]},
                    "location": {"mention": mention, "span": [20, 20 + len(mention)], "name": name,
                                 "country_code": code[:2], "admin1_code": code, "admin1": name, "admin2": None,
                                 "city": None, "street": None, "house_numbers": [], "lat": lat, "lon": lon,
                                 "precision": "admin1", "confidence": 0.9, "reason": "bench"},
                    "evidence": [{"article_id": art_id, "field": "type", "span": [10, 19], "text": "shot down"},
                                 {"article_id": art_id, "field": "location", "span": [20, 20 + len(mention)],
                                  "text": mention}],
                    "source": "bench", "published_at": published.isoformat()}
            rows.append({"id": body["id"], "article_id": art_id, "type": kind, "weapon": weapon, "count": count,
                         "killed": killed, "injured": injured, "damage": body["damage"],
                         "claimed_by": body["claimed_by"], "country_code": code[:2], "admin1_code": code,
                         "admin2": None, "precision": "admin1", "lat": lat, "lon": lon, "occurred_start": start,
                         "occurred_end": None, "published_at": published, "stored_at": now, "body": body})
    IncidentEvent.model_validate(rows[0]["body"])  # the shape the API promises
    return arts, rows


def fill(url: str, n: int) -> float:
    from services.storage.migrations import upgrade

    upgrade(url)  # the store's schema and indexes exactly as a deployment has them
    engine = create_engine(url)
    arts, rows = make_rows(n)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(articles.insert(), arts)
        for i in range(0, len(rows), 5000):
            conn.execute(events.insert(), rows[i:i + 5000])
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":  # else autovacuum does it in the middle of the run
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE events"))
    engine.dispose()
    return time.perf_counter() - started


def queries(rng: random.Random) -> tuple[str, str, dict[str, str]]:
    """(kind, path, params) of one typical query, drawn at random."""
    code, _, lat, lon = rng.choice(REGIONS)
    since = (EPOCH + timedelta(days=rng.randrange(300))).date().isoformat()
    kind = rng.choice(KINDS)
    p: dict[str, str] = {"limit": "50"}
    path = "/v1/events"
    if kind == "region_since":
        p.update(admin1=code, since=since)
    elif kind == "type_country":
        p.update(type=rng.choice(["attack", "impact"]), country=code[:2], since=since)
    elif kind == "bbox":
        p.update(bbox=f"{lon - 1},{lat - 1},{lon + 1},{lat + 1}", weapon="uav")
    elif kind == "near":
        p.update(near=f"{lat},{lon},50", since=since)
    elif kind == "in_outline":
        p.update(region=code, since=since)
    elif kind == "newest_in_region":
        p.update(admin1=code, sort="-time", type="interception")
    elif kind == "geojson":
        path = "/v1/events.geojson"
        p.update(admin1=code, since=since)
    else:
        path, p = "/v1/stats", {"group_by": "day", "admin1": code, "since": since}
    return kind, path, p


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    return {"n": len(latencies), "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
            "p90_ms": round(_percentile(latencies, 90) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 99) * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1)}


async def open_loop(base: str, rate: float, duration: float, connections: int = 64,
                    seed: int = 1) -> dict[str, Any]:
    """Requests due at fixed times, served by `connections` keep-alive connections; a request
    waits in the queue when all are busy, and that wait counts in its latency."""
    rng = random.Random(seed)
    plan = [queries(rng) for _ in range(int(rate * duration))]
    queue: asyncio.Queue[tuple[float, str, str] | None] = asyncio.Queue()
    lat: dict[str, list[float]] = {}
    errors: list[str] = []

    async def worker(client: FastClient) -> None:
        while (item := await queue.get()) is not None:
            due, kind, url = item
            try:
                status = (await client.get(url)).status_code
                if status != 200:
                    errors.append(f"{kind}: {status}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as err:
                errors.append(f"{kind}: {type(err).__name__}")
            lat.setdefault(kind, []).append(time.perf_counter() - due)

    async with FastClient(size=connections) as client:
        workers = [asyncio.create_task(worker(client)) for _ in range(connections)]
        t0 = time.perf_counter() + 0.1
        for i, (kind, path, params) in enumerate(plan):
            due = t0 + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            queue.put_nowait((due, kind, f"{base}{path}?{urlencode(params)}"))
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        elapsed = time.perf_counter() - t0
    everything = [v for vs in lat.values() for v in vs]
    return {"rate": rate, "achieved_rps": round(len(everything) / elapsed, 1), "errors": len(errors),
            "error_sample": errors[:5], "overall": _summary(everything),
            "by_kind": {k: _summary(v) for k, v in sorted(lat.items())}}


async def closed_loop(base: str, concurrency: int, duration: float, seed: int = 2) -> dict[str, Any]:
    rng = random.Random(seed)
    done, errors = 0, 0
    stop_at = time.perf_counter() + duration

    async def worker(client: FastClient) -> None:
        nonlocal done, errors
        while time.perf_counter() < stop_at:
            _, path, params = queries(rng)
            status = (await client.get(f"{base}{path}?{urlencode(params)}")).status_code
            done += 1
            errors += status != 200

    async with FastClient(size=concurrency) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "max_rps": round(done / elapsed, 1), "requests": done, "errors": errors}


async def _asgi_get(app: Any, path: str, query: str) -> int:
    """One GET through the app's ASGI interface; its status."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"bench"), (b"accept", b"*/*")], "client": ("127.0.0.1", 1),
             "server": ("bench", 80)}
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


async def cpu_per_query(url: str, n: int, seed: int = 3) -> dict[str, float]:
    """Milliseconds of this process's CPU per query of each kind, served in-process (see --cpu)."""
    from services.gateway.api import create_app
    from services.gateway.settings import GatewaySettings

    settings = GatewaySettings(_env_file=None, database_url=url, rate_limit_per_minute=0,
                               kafka_bootstrap_servers=os.environ.get("BENCH_KAFKA", "127.0.0.1:9"))
    app = create_app(settings)
    rng = random.Random(seed)
    plan: dict[str, list[tuple[str, str]]] = {}
    while len(plan) < len(KINDS) or min(len(v) for v in plan.values()) < n:
        kind, path, params = queries(rng)
        plan.setdefault(kind, []).append((path, urlencode(params)))
    out: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        for kind, asked in sorted(plan.items()):
            for path, query in asked[:5]:  # warm: statement caches, pools, pages
                await _asgi_get(app, path, query)
            started = time.process_time()
            for path, query in asked[:n]:
                if await _asgi_get(app, path, query) != 200:
                    raise RuntimeError(f"{path}?{query} failed")
            out[kind] = round((time.process_time() - started) / n * 1000, 2)
    return out


def start_gateway(url: str, log_path: Path, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "GATEWAY_WORKERS": str(workers), "GATEWAY_PORT": str(port),
           "GATEWAY_HOST": "127.0.0.1",
           "LOG_LEVEL": "WARNING", "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("BENCH_KAFKA", "127.0.0.1:9"),
           "RATE_LIMIT_PER_MINUTE": "0", "GATEWAY_REQUIRE_KEY_FOR_READS": "false"}
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the gateway exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the gateway did not become ready in 60 s")


def _pg_database() -> tuple[str, Any]:
    name = f"dronewatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


def run_one(db: str, n: int, rate: float, duration: float, concurrency: int, workers: int = 1,
            cpu: int = 0) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    drop = None
    if db == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
    else:
        url, drop = _pg_database()
    try:
        fill_s = fill(url, n)
        if cpu:
            return {"db": db, "events": n, "fill_s": round(fill_s, 1), "cpu_ms": asyncio.run(cpu_per_query(url, cpu))}
        proc, base = start_gateway(url, folder / "gateway.log", workers)
        try:
            asyncio.run(open_loop(base, rate, min(5.0, duration)))  # warm-up: caches, pools, pages
            fixed = asyncio.run(open_loop(base, rate, duration))
            top = asyncio.run(closed_loop(base, concurrency, max(1.0, duration / 2)))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        if drop:
            drop()
        shutil.rmtree(folder, ignore_errors=True)
    return {"db": db, "events": n, "workers": workers, "fill_s": round(fill_s, 1), "fixed_rate": fixed,
            "closed_loop": top}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="GATEWAY_WORKERS of the gateway under test")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cpu", type=int, default=0, metavar="N",
                        help="instead of the load runs: the server's CPU per query kind, N queries each, in-process")
    args = parser.parse_args(argv)
    results = []
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        r = run_one(db, args.events, args.rate, args.duration, args.concurrency, args.workers, args.cpu)
        results.append(r)
        if args.cpu:
            mean = statistics.fmean(r["cpu_ms"].values())
            print(f"{db:10} {r['events']} events: CPU per query in-process (ms), mean of the mix {mean:.2f}")
            for kind, ms in r["cpu_ms"].items():
                print(f"    {kind:18} {ms:6.2f}")
            continue
        o = r["fixed_rate"]["overall"]
        print(f"{db:10} x{args.workers} {r['events']} events (filled in {r['fill_s']} s): at {args.rate:.0f} req/s "
              f"(achieved {r['fixed_rate']['achieved_rps']}) p50 {o['p50_ms']} ms, p90 {o['p90_ms']} ms, "
              f"p99 {o['p99_ms']} ms, max {o['max_ms']} ms, errors {r['fixed_rate']['errors']}; "
              f"closed loop x{args.concurrency}: {r['closed_loop']['max_rps']} req/s")
        for kind, s in r["fixed_rate"]["by_kind"].items():
            print(f"    {kind:18} p50 {s['p50_ms']:7} ms  p99 {s['p99_ms']:7} ms  (n={s['n']})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r.get("fixed_rate", {}).get("errors", 0) == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
