"""Scale-out: two extraction and two geocoding workers in one consumer group each share the
partitions, and every one of a few hundred reports is stored exactly once, even though the group
rebalances while they flow (a second member joins)."""
from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest

from tests.conftest import store_url
from tests.e2e.stack import running_stack

pytestmark = pytest.mark.e2e

REGIONS = {"Kursk region": "RU-KRS", "Bryansk region": "RU-BRY", "Belgorod region": "RU-BEL",
           "Voronezh region": "RU-VOR", "Oryol region": "RU-ORL", "Tula region": "RU-TUL",
           "Kaluga region": "RU-KLU", "Lipetsk region": "RU-LIP", "Tambov region": "RU-TAM",
           "Smolensk region": "RU-SMO"}
REPORTS = 240


def consumed(metrics_text: str, service: str) -> float:
    pattern = rf'dronewatch_messages_consumed_total\{{service="{service}",topic="[^"]+"\}} ([0-9.e+]+)'
    return sum(float(v) for v in re.findall(pattern, metrics_text))


def test_two_workers_per_stage_share_the_partitions_and_store_each_report_once(kafka_bootstrap, tmp_path,
                                                                               pg_database):
    reports = []
    for i in range(REPORTS):
        region = list(REGIONS)[i % len(REGIONS)]
        count = 2 + i % 37
        reports.append({"id": f"scale-{uuid.uuid4().hex[:10]}", "language": "en",
                        "text": f"Air defence destroyed {count} drones over {region} overnight, "
                                f"the regional governor said (bulletin {i})."})
    with running_stack(kafka_bootstrap, tmp_path, store_url("sqlite", tmp_path, pg_database),
                       instances={"extraction": 2, "geocoding": 2}) as stack:
        for chunk in range(0, REPORTS, 80):
            resp = httpx.post(f"{stack.ingest}/v1/articles/batch",
                              json={"articles": reports[chunk:chunk + 80]}, timeout=30)
            assert resp.status_code == 200 and resp.json()["accepted"] == len(reports[chunk:chunk + 80])
        deadline = time.monotonic() + 120
        pending = {r["id"] for r in reports}
        while pending and time.monotonic() < deadline:
            for article_id in list(pending):
                if stack.article(article_id, timeout_s=60)["status"] == "processed":
                    pending.discard(article_id)
        assert not pending
        events, cursor = [], None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = httpx.get(f"{stack.gateway}/v1/events", params=params, timeout=10).json()
            events += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        metrics = {key: httpx.get(f"{url}/metrics", timeout=5).text for key, url in stack.ops.items()}

    by_article: dict[str, list[dict]] = {}
    for ev in events:
        by_article.setdefault(ev["article_id"], []).append(ev)
    assert len(by_article) == REPORTS and all(len(evs) == 1 for evs in by_article.values())
    for report in reports:
        [ev] = by_article[report["id"]]
        region = next(r for r in REGIONS if r in report["text"])
        assert (ev["type"], ev["location"]["admin1_code"]) == ("interception", REGIONS[region])
        assert str(ev["count"]) in report["text"]
    for service in ("extraction", "geocoding"):
        shares = [consumed(metrics[f"{service}-{n}"], service) for n in (1, 2)]
        print(f"{service}: records consumed per worker {shares}")
        assert all(share > 0 for share in shares), f"{service} partitions were not shared: {shares}"
        assert sum(shares) >= REPORTS  # at least once; a rebalance may redeliver some
