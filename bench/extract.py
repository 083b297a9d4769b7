"""Extraction benchmark: reports/s, per-report latency and peak memory of `Extractor.extract` on ~3 KB
reports, on one core, with model loading measured separately.

    python -m bench.extract [--n 300] [--size 3000] [--corpus tests/corpus] [--no-pin] [--json out.json]

Reports are built from the team corpus (`tests/corpus/*.jsonl`): the corpus texts of one language, in
turn, interleaved with neutral filler sentences of that language until the report reaches `--size`
UTF-8 bytes. Languages alternate, so every language gets about N/3 reports. The extractor is built
the way the extraction service builds it (`services.extraction.main.build_extractor`: lexicons,
pymorphy3 and the gazetteer's place names). Beside reports per wall-clock second it gives reports per
CPU-second of the process, which stays meaningful when other work shares the core. After the timed
run, a second pass sends a sample through the real handler (`handle_article_received`, which runs
`extract` in a worker thread) while a 10 ms ticker measures how late the event loop gets: that lag,
not the extract time, is what could starve the Kafka heartbeat (KAFKA_HEARTBEAT_INTERVAL_MS, default 1000 ms).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path

FILLER = {
    "en": [
        "The regional government also published a schedule of public consultations for the coming month.",
        "Officials said the bus timetable between the districts would stay unchanged until further notice.",
        "Local libraries extended their opening hours for the school holidays, the culture department said.",
        "Weather forecasters expect light rain and temperatures of around ten degrees later in the week.",
        "A new pedestrian crossing near the central market is due to open after maintenance work is finished.",
        "Residents were reminded that applications for heating subsidies are accepted online and by post.",
    ],
    "ru": [
        "Региональное правительство также опубликовало график публичных слушаний на следующий месяц.",
        "В администрации отметили, что расписание пригородных автобусов пока остаётся прежним.",
        "Городские библиотеки продлили часы работы на время школьных каникул, сообщили в управлении культуры.",
        "Синоптики ожидают небольшой дождь и около десяти градусов тепла во второй половине недели.",
        "Новый пешеходный переход у центрального рынка откроют после завершения ремонта дорожного покрытия.",
        "Жителям напомнили, что заявления на субсидии за отопление принимают через портал госуслуг и по почте.",
    ],
    "uk": [
        "Обласна адміністрація також оприлюднила графік громадських обговорень на наступний місяць.",
        "У міській раді зазначили, що розклад приміських автобусів поки залишається без змін.",
        "Міські бібліотеки подовжили години роботи на час шкільних канікул, повідомили в управлінні культури.",
        "Синоптики прогнозують невеликий дощ і близько десяти градусів тепла наприкінці тижня.",
        "Новий пішохідний перехід біля центрального ринку відкриють після завершення ремонту покриття.",
        "Мешканцям нагадали, що заяви на субсидії на опалення приймають онлайн і поштою.",
    ],
}
LANGS = ("en", "ru", "uk")


def build_reports(corpus: Path, n: int, size: int) -> list[dict]:
    texts: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for f in sorted(corpus.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                texts[case["language"]].append(case["text"])
    sources = {lang: cycle(texts[lang]) for lang in LANGS if texts[lang]}
    fillers = {lang: cycle(FILLER[lang]) for lang in LANGS}
    langs = cycle(sorted(sources))
    reports = []
    for i in range(n):
        lang = next(langs)
        parts: list[str] = []
        while len(" ".join(parts).encode()) < size:
            parts.append(next(sources[lang]))
            parts.extend(next(fillers[lang]) for _ in range(2))
        reports.append({"id": f"bench-{i}", "language": lang, "text": " ".join(parts)})
    return reports


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def loop_lag(extractor, reports: list[dict]) -> tuple[float, float]:
    """Send reports through the real handler while a 10 ms ticker records the event loop's lateness."""
    from services.extraction.handlers import handle_article_received
    from shared.messages import ArticleReceived
    from shared.messages.articles import Article

    worst, worst_call = 0.0, 0.0
    stop = asyncio.Event()

    async def ticker():
        nonlocal worst
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - t - 0.01)

    task = asyncio.create_task(ticker())
    now = datetime.now(UTC)
    for r in reports:
        art = Article(id=r["id"], text=r["text"], language=r["language"], received_at=now, published_at=now,
                      content_hash=hashlib.sha256(r["text"].encode()).hexdigest())
        msg = ArticleReceived.create(producer="bench", correlation_id=art.id, payload=art)
        t = time.perf_counter()
        await handle_article_received(msg, extractor=extractor)
        worst_call = max(worst_call, time.perf_counter() - t)
    stop.set()
    await task
    return worst * 1000, worst_call * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.extract", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="number of reports (default 300)")
    ap.add_argument("--size", type=int, default=3000, help="report size in UTF-8 bytes (default 3000)")
    ap.add_argument("--corpus", type=Path, default=Path("tests/corpus"))
    ap.add_argument("--lag-sample", type=int, default=60, help="reports sent through the handler for the lag test")
    ap.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)

    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    reports = build_reports(args.corpus, args.n, args.size)
    rss_before = rss_mb()
    t0 = time.perf_counter()
    from services.extraction.main import build_extractor
    from services.extraction.settings import ExtractionSettings

    extractor = build_extractor(ExtractionSettings(_env_file=None))
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()

    for r in reports[:3]:  # warm-up (lazy regex/morph caches), not timed
        extractor.extract(article_id="warm", text=r["text"], title=None, language=r["language"], published_at=None)
    gc.collect()
    lat: dict[str, list[float]] = {lang: [] for lang in LANGS}
    published = datetime.now(UTC)
    started, cpu_started = time.perf_counter(), time.process_time()
    for r in reports:
        t = time.perf_counter()
        extractor.extract(article_id=r["id"], text=r["text"], title=None, language=r["language"],
                          published_at=published)
        lat[r["language"]].append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    lag_ms, handler_max_ms = asyncio.run(loop_lag(extractor, reports[: args.lag_sample]))

    every = [x for xs in lat.values() for x in xs]
    out = {
        "reports": len(every), "mean_bytes": round(statistics.mean(len(r["text"].encode()) for r in reports)),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_s": round(load_s, 2), "rss_before_load_mb": round(rss_before, 1), "rss_loaded_mb": round(rss_loaded, 1),
        "reports_per_s": round(len(every) / wall, 1), "reports_per_cpu_s": round(len(every) / cpu, 1),
        "p50_ms": round(pct(every, 0.5) * 1000, 2), "p99_ms": round(pct(every, 0.99) * 1000, 2),
        "max_extract_ms": round(max(every) * 1000, 2),
        "per_language": {lang: {"reports": len(xs), "reports_per_s": round(len(xs) / sum(xs), 1),
                                "p50_ms": round(pct(xs, 0.5) * 1000, 2), "p99_ms": round(pct(xs, 0.99) * 1000, 2),
                                "max_ms": round(max(xs) * 1000, 2)} for lang, xs in lat.items() if xs},
        "handler_max_ms": round(handler_max_ms, 2), "event_loop_max_lag_ms": round(lag_ms, 2),
        "peak_rss_mb": round(rss_mb(), 1),
    }
    print(f"extraction benchmark: {out['reports']} reports of ~{out['mean_bytes']} B on {out['cpus']} CPU")
    print(f"  load (lexicons, pymorphy3, gazetteer names): {out['load_s']} s, "
          f"RSS {out['rss_before_load_mb']} -> {out['rss_loaded_mb']} MB")
    print(f"  overall: {out['reports_per_s']} reports/s  p50 {out['p50_ms']} ms  p99 {out['p99_ms']} ms  "
          f"max {out['max_extract_ms']} ms")
    print(f"  per CPU-second of this process: {out['reports_per_cpu_s']} reports "
          f"(the wall-clock figure above drops when other processes share the core)")
    for lang, m in out["per_language"].items():
        print(f"  {lang}: {m['reports']:>4} reports  {m['reports_per_s']:>7} reports/s  p50 {m['p50_ms']} ms  "
              f"p99 {m['p99_ms']} ms  max {m['max_ms']} ms")
    print(f"  handler path ({min(args.lag_sample, len(reports))} reports): longest call {out['handler_max_ms']} ms, "
          f"event loop max lag {out['event_loop_max_lag_ms']} ms (heartbeat interval 1000 ms)")
    print(f"  peak RSS: {out['peak_rss_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
