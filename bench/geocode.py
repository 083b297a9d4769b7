"""Gazetteer benchmark: builds the embedded index and (if the folder exists) the rich index from
GAZETTEER_EXTRA_SOURCES or ../shared/data/gazetteer, then, for each, in a fresh process: load time, peak
resident memory (resource.getrusage, after loading and resolving) and resolve speed on one core after a
warm-up, over our own mix of en/ru/uk mentions (inflected, transliterated and misspelt forms, villages,
districts, hromadas, city districts, streets). Prints figures; asserts nothing.

    .venv/bin/python -m bench.geocode [--extra PATH] [--out DIR] [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EXTRA = ROOT.parent / "shared" / "data" / "gazetteer"

# one list = one report; (text, level hint, parent index)
REPORTS: list[tuple[str, list[tuple]]] = [
    ("en", [("Rostov region", "oblast"), ("Kamensky district", "district"), ("Verkhnedonskoy", "district")]),
    ("en", [("Rostov Oblast", "oblast"), ("Sholokhovskiy", "district"), ("Bokovskoye", "district")]),
    ("en", [("Belgorod", "city"), ("Shebekino", None), ("Grayvoron district", "district")]),
    ("en", [("Kursk region", "oblast"), ("Rylsk", "city"), ("Glushkovo district", "district")]),
    ("en", [("Bryansk Oblast", "oblast"), ("Klimovo", None), ("Starodubsky municipal district", "district")]),
    ("en", [("Kharkiv", "city"), ("Kyivskyi district", "district", 0), ("Kupiansk", None)]),
    ("en", [("Sumy region", "oblast"), ("Krasnopillia community", "hromada"), ("Velyka Pysarivka", None)]),
    ("en", [("Odesa", "city"), ("Izmail", None), ("Black Sea", "sea")]),
    ("en", [("Moscow", "city"), ("Ramenki district", "city_district", 0), ("Podolsk", None)]),
    ("en", [("Voronezh", "city"), ("Liski", None), ("Ostrogozhsky district", "district")]),
    ("en", [("Tula region", "oblast"), ("Aleksin", None), ("Novomoskovsk", None)]),
    ("en", [("Kherson", "city"), ("Beryslav", None), ("Mykolaiv Oblast", "oblast")]),
    ("ru", [("Ростовской области", "oblast"), ("Миллеровском районе", "district"), ("хуторе Греково", None)]),
    ("ru", [("Белгородской области", None), ("Валуйках", None), ("селе Муром", None)]),
    ("ru", [("Курской области", None), ("Беловском районе", "district"), ("Суджанском", "district")]),
    ("ru", [("в Брянске", None), ("Погарском районе", "district"), ("поселке Суземка", None)]),
    ("ru", [("Липецкой области", None), ("Усманском округе", "district"), ("Ельце", None)]),
    ("ru", [("Волгограде", "city"), ("Тракторозаводском районе", "city_district", 0), ("ул. Лодыгина", "street", 1)]),
    ("ru", [("Смоленской области", None), ("Вязьме", None), ("Ярцевском районе", "district")]),
    ("ru", [("Калужской области", None), ("Людиново", None), ("Жуковском районе", "district")]),
    ("ru", [("Крыму", None), ("Севастополе", None), ("Джанкое", None)]),
    ("ru", [("Тульской области", None), ("Новомосковске", None), ("Ефремове", None)]),
    ("uk", [("Харківщині", None), ("Чугуєві", None), ("Золочівській громаді", "hromada")]),
    ("uk", [("у Києві", "city"), ("Солом'янському районі", "district", 0), ("Броварах", None)]),
    ("uk", [("Дніпропетровській області", None), ("Нікополі", None), ("Марганецькій громаді", "hromada")]),
    ("uk", [("Сумській області", None), ("Шосткинському районі", "district"), ("Середино-Будській громаді", None)]),
    ("uk", [("Одещині", None), ("Ізмаїльському районі", "district"), ("Чорноморську", None)]),
    ("uk", [("Запоріжжі", "city"), ("Вільнянську", None), ("Херсонщині", None)]),
    ("en", [("Krasnodar Krai", "oblast"), ("Novorossiisk", None), ("Tuapse", None)]),
    ("en", [("Belgorod Oblast", "oblast"), ("Shebekinsky urban okrug", "district"), ("Novaya Tavolzhanka", None)]),
    # the mix of the unit suite's former test_resolve_speed, which printed a rate and asserted nothing
    ("en", [("Smolensk Region", "oblast"), ("Rostov Oblast", "oblast"), ("Chertkovskoye", "district"),
            ("Boksskoye", "district"), ("Volgograd", "city")]),
    ("ru", [("над Брянской областью", None), ("в Курске", None), ("Тракторозаводском районе Волгограда", None)]),
    ("uk", [("у Київській області", None), ("Харкові", None), ("Солом'янському районі", "district")]),
]


def _mentions(spec):
    from shared.messages.events import PlaceMention

    out, pos = [], 0
    for item in spec:
        text, hint, parent = (list(item) + [None, None])[:3]
        street = text if hint == "street" else None
        out.append(PlaceMention(text=text, span=(pos, pos + len(text)), normalized=text, level_hint=hint,
                                parent=parent, street=street))
        pos += len(text) + 10
    return out


def measure(index_path: str, seconds: float) -> dict:
    """Runs in a child process: load, warm up, resolve for `seconds` on one core."""
    from shared.places import Gazetteer, GazetteerGeocoder

    t0 = time.perf_counter()
    g = Gazetteer.load(Path(index_path))
    load_s = time.perf_counter() - t0
    geo = GazetteerGeocoder(g)
    docs = [(lang, _mentions(spec)) for lang, spec in REPORTS]
    for lang, d in docs:  # warm-up: analyzers, caches
        geo.resolve(d, language=lang)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for lang, d in docs:
            geo.resolve(d, language=lang)
            n += len(d)
    rate = n / (time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"load_s": round(load_s, 2), "mentions_per_s": round(rate), "peak_rss_mb": round(rss, 1),
            "entries": len(g.entries)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra", default=os.environ.get("GAZETTEER_EXTRA_SOURCES") or str(DEFAULT_EXTRA))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--build", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        print(json.dumps(measure(a.measure, a.seconds)))
        return
    if a.build:
        from shared.places import build_index

        extra = a.extra if str(a.extra) not in ("", ".") else None
        st = build_index(Path(a.build), extra_sources=extra, progress=lambda m: print(m, flush=True))
        print(json.dumps({"build_seconds": st.build_seconds, "size_bytes": st.size_bytes}))
        return

    out = a.out or Path(tempfile.mkdtemp(prefix="gzbench"))
    builds = [("embedded", None)] + ([("rich", a.extra)] if Path(a.extra).is_dir() else [])
    for label, extra in builds:
        path = out / f"{label}.pkl.gz"
        # build and measure in child processes: Linux carries a parent's peak RSS across fork+exec
        env = dict(os.environ, OMP_NUM_THREADS="1")
        bcmd = [sys.executable, "-m", "bench.geocode", "--build", str(path), "--extra", str(extra or "")]
        proc = subprocess.run(bcmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        *progress, last = proc.stdout.strip().splitlines()
        for line in progress:
            print(f"  [{label}] {line[:150]}")
        stats = json.loads(last)
        cmd = [sys.executable, "-m", "bench.geocode", "--measure", str(path), "--seconds", str(a.seconds)]
        if sys.platform.startswith("linux"):
            cmd = ["taskset", "-c", "0", *cmd]
        res = json.loads(subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
                         .stdout.strip().splitlines()[-1])
        print(f"{label:9} build {stats['build_seconds']:6.1f} s | size {stats['size_bytes'] / 1e6:5.1f} MB | "
              f"entries {res['entries']:,} | load {res['load_s']:.2f} s | peak RSS {res['peak_rss_mb']:.0f} MB | "
              f"{res['mentions_per_s']:,} mentions/s (one core, warm)")


if __name__ == "__main__":
    main()
