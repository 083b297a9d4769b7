"""The map page in a real browser: Debian's Chromium, headless, driven by Playwright, against the
whole stack as processes. It loads the page with no internet, sees markers for the stored events,
shows a report with its evidence highlighted, and draws a new event that arrives over the live
stream without a reload. Saves docs/map.png (the README's screenshot). With keys required for
reads, the page asks for one and then reads, and streams, with it."""
from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from shared.kafka.serde import encode
from shared.messages import IncidentEvent
from shared.topics import INCIDENTS
from tests.builders import make_claim, make_incident, make_incident_updated
from tests.e2e.stack import ROOT, running_stack
from tests.kafka_helpers import produce_raw

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make test installs it when run as root)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def stack(kafka_bootstrap, tmp_path_factory):
    data = tmp_path_factory.mktemp("map-stack")
    with running_stack(kafka_bootstrap, data, f"sqlite:///{data / 'store.db'}") as running:
        yield running


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 860})
        # Nothing may leave the machine: every request that is not the gateway's is refused.
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                      else route.abort())
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        yield page
        browser.close()
        assert errors == [], f"JavaScript errors on the page: {errors}"


def post(stack, text: str) -> dict:
    article_id = f"map-{uuid.uuid4().hex[:8]}"
    resp = stack.post({"id": article_id, "language": "en", "published_at": "2026-11-20T08:00:00+02:00", "text": text})
    assert resp.status_code == 202, resp.text
    doc = stack.article(article_id)
    assert doc["status"] == "processed" and doc["events"], doc
    return doc


def test_the_map_shows_stored_events_reports_and_new_ones_live(stack, page):
    stored = [
        post(stack, "Air defence units shot down three drones over the Belgorod region on Tuesday night, "
                    "the regional governor wrote. Nobody was injured."),
        post(stack, "A missile hit an industrial site in Dnipro on Wednesday morning, the head of the regional "
                    "military administration said; two people were injured."),
        post(stack, "Russian forces attacked Kharkiv with glide bombs in the afternoon, damaging a school, "
                    "the mayor reported."),
        post(stack, "Five drones were destroyed over the Kursk region and two over the Voronezh region, "
                    "the defence ministry said."),
    ]
    page.goto(stack.gateway + "/")
    page.wait_for_function("() => window.dronewatch && window.dronewatch.markerCount() >= 4", timeout=TIMEOUT_MS)
    page.wait_for_selector("#live-status.on", timeout=TIMEOUT_MS)
    ids = set(page.evaluate("() => window.dronewatch.eventIds()"))
    assert {e["id"] for doc in stored for e in doc["events"]} <= ids
    assert page.locator(".leaflet-marker-icon").count() >= 1  # markers or clusters are drawn
    page.wait_for_selector(".leaflet-base-pane canvas", state="attached", timeout=TIMEOUT_MS)  # shipped boundaries
    assert page.locator("select[name=region] option[value=RU-BEL]").count() == 1

    # A click on a listed event shows its report with the evidence highlighted.
    belgorod = next(e for e in stored[0]["events"] if e["location"]["admin1_code"] == "RU-BEL")
    page.locator(f'#list li[data-id="{belgorod["id"]}"]').click()
    page.wait_for_selector("#report-text mark.this", timeout=TIMEOUT_MS)
    marked = page.locator("#report-text mark.this").all_inner_texts()
    evidence = {ev["text"] for ev in belgorod["evidence"]}
    assert any(any(text in m for text in evidence) for m in marked), (marked, evidence)
    assert "shot down three drones" in page.locator("#report-text").inner_text()

    # A report posted now appears on the open page, without a reload.
    before = page.evaluate("() => window.dronewatch.markerCount()")
    page.evaluate("() => { window.__notReloaded = true; }")
    new = post(stack, "Debris of a downed drone fell on a house in the Bryansk region overnight, "
                      "the governor said; there were no casualties.")
    new_ids = [e["id"] for e in new["events"]]
    page.wait_for_function("ids => ids.every(id => window.dronewatch.eventIds().includes(id))", arg=new_ids,
                           timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.__notReloaded") is True
    assert page.evaluate("() => window.dronewatch.markerCount()") > before
    page.locator(f'#list li[data-id="{new_ids[0]}"]').wait_for(timeout=TIMEOUT_MS)

    (ROOT / "docs").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "docs" / "map.png"))

    # The region filter narrows the map and the list to that region.
    page.select_option("select[name=region]", "RU-BEL")
    page.click("#filters button[type=submit]")
    page.wait_for_function("() => window.dronewatch.eventIds().length > 0 && window.dronewatch.eventIds()"
                           ".every(id => document.querySelector(`#list li[data-id='${id}']`))", timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => !window.dronewatch.eventIds().includes('{new_ids[0]}')", timeout=TIMEOUT_MS)
    shown = set(page.evaluate("() => window.dronewatch.eventIds()"))
    assert belgorod["id"] in shown and shown == {e["id"] for e in stack.events(admin1="RU-BEL", limit="1000")}


def publish_incidents(stack, *states) -> None:
    """Incident states into the stack's incident topic, as the incidents service would publish them
    (in a thread of its own: Playwright's sync API holds this thread's event loop)."""
    records = [(s.id.encode(), encode(make_incident_updated(s))) for s in states]
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, produce_raw(stack.settings, INCIDENTS, records)).result(timeout=60)


def wait_stored(stack, incident_id: str, version: int = 1) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = httpx.get(f"{stack.gateway}/v1/incidents/{incident_id}", timeout=5)
        if got.status_code == 200 and got.json()["version"] >= version:
            return
        time.sleep(0.1)
    raise AssertionError(f"{incident_id} v{version} was not stored in time")


def test_the_map_draws_incidents_sized_by_their_sources_and_lists_their_claims(stack, page):
    reports = [post(stack, "Air defence shot down four drones over the Voronezh region overnight, the governor said."),
               post(stack, "Four drones were destroyed over the Voronezh region overnight, the defence ministry said.")]
    events = [doc["events"][0] for doc in reports]
    claims = [make_claim(IncidentEvent.model_validate(e), claimed_by=who, source=who)
              for e, who in zip(events, ("Governor Gusev", "Ministry of Defence"), strict=True)]
    tag = uuid.uuid4().hex[:6]
    big, small = make_incident(f"big-{tag}", claims), make_incident(f"small-{tag}", claims[:1])
    publish_incidents(stack, big, small)
    wait_stored(stack, big.id)
    wait_stored(stack, small.id)

    page.goto(stack.gateway + "/")
    page.wait_for_function("ids => ids.every(id => window.dronewatch.incidentIds().includes(id))",
                           arg=[big.id, small.id], timeout=TIMEOUT_MS)
    radius = "id => window.dronewatch.incidentRadius(id)"
    assert page.evaluate(radius, big.id) > page.evaluate(radius, small.id)  # two sources draw a larger ring

    page.evaluate("id => window.dronewatch.openIncident(id)", big.id)
    page.wait_for_selector(f'.leaflet-popup-content .incident[data-id="{big.id}"] li.claim', timeout=TIMEOUT_MS)
    listed = page.locator(".leaflet-popup-content li.claim").all_inner_texts()
    assert len(listed) == 2 and any("Governor Gusev" in c for c in listed)
    assert any("Ministry of Defence" in c for c in listed)
    assert "2 sources" in page.locator(".leaflet-popup-content").inner_text()

    # Live: a new incident appears, a retracted one goes, without a reload.
    page.wait_for_selector("#live-status.on", timeout=TIMEOUT_MS)
    page.evaluate("() => { window.__notReloaded = true; }")
    late = make_incident(f"late-{tag}", claims[1:])
    publish_incidents(stack, late, make_incident(small.id, [], version=2, change="retracted", status="retracted",
                                                 location=small.location))
    page.wait_for_function("id => window.dronewatch.incidentIds().includes(id)", arg=late.id, timeout=TIMEOUT_MS)
    page.wait_for_function("id => !window.dronewatch.incidentIds().includes(id)", arg=small.id, timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.__notReloaded") is True


READ_KEY = "map-test-read-key-7f3a"


@pytest.fixture(scope="module")
def keyed_stack(kafka_bootstrap, tmp_path_factory):
    """A stack whose gateway answers reads only with a key (ingestion takes reports without one)."""
    data = tmp_path_factory.mktemp("keyed-map-stack")
    gateway_env = {"API_KEYS": f"{READ_KEY}=analyst:read", "GATEWAY_REQUIRE_KEY_FOR_READS": "true"}
    with running_stack(kafka_bootstrap, data, f"sqlite:///{data / 'store.db'}",
                       service_env={"gateway": gateway_env}) as running:
        yield running


def post_keyed(stack, text: str) -> list[str]:
    """Posts a report and waits until the gateway (asked with the key) has its events; their ids."""
    article_id = f"keyed-{uuid.uuid4().hex[:8]}"
    resp = stack.post({"id": article_id, "language": "en", "published_at": "2026-11-20T08:00:00+02:00", "text": text})
    assert resp.status_code == 202, resp.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = httpx.get(f"{stack.gateway}/v1/articles/{article_id}", headers={"Authorization": f"Bearer {READ_KEY}"},
                        timeout=5)
        if got.status_code == 200 and got.json()["status"] == "processed" and got.json()["events"]:
            return [e["id"] for e in got.json()["events"]]
        time.sleep(0.1)
    raise AssertionError(f"{article_id} was not processed in time")


def test_with_keys_required_the_map_asks_for_one_and_then_reads_and_streams_with_it(keyed_stack, page):
    assert httpx.get(f"{keyed_stack.gateway}/v1/events", timeout=5).status_code == 401
    stored = post_keyed(keyed_stack, "Air defence units shot down three drones over the Belgorod region overnight, "
                                     "the regional governor wrote.")
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))

    page.goto(keyed_stack.gateway + "/")
    page.wait_for_selector("#key-form:not([hidden])", timeout=TIMEOUT_MS)  # refused without a key: asks
    assert page.evaluate("() => window.dronewatch.markerCount()") == 0
    page.fill("#key-form input[name=key]", READ_KEY)
    page.click("#key-form button[type=submit]")
    page.wait_for_function("ids => ids.every(id => window.dronewatch.eventIds().includes(id))", arg=stored,
                           timeout=TIMEOUT_MS)
    page.wait_for_selector("#live-status.on", timeout=TIMEOUT_MS)
    assert page.locator("#key-form").is_hidden()
    assert page.evaluate("() => window.dronewatch.markerCount()") >= 1

    # A report posted now arrives over the keyed stream, without a reload.
    page.evaluate("() => { window.__notReloaded = true; }")
    new_ids = post_keyed(keyed_stack, "Debris of a downed drone fell on a house in the Bryansk region overnight, "
                                      "the governor said.")
    page.wait_for_function("ids => ids.every(id => window.dronewatch.eventIds().includes(id))", arg=new_ids,
                           timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.__notReloaded") is True
    assert page.evaluate("() => sessionStorage.getItem('dronewatch.apiKey')") == READ_KEY
    assert not [u for u in urls if READ_KEY in u]  # the key never travels in a URL


PARSE_CHUNKS = """async (chunks) => {
  const body = new ReadableStream({
    start(c) { chunks.forEach((x) => c.enqueue(new TextEncoder().encode(x))); c.close(); },
  });
  const got = [];
  await window.dronewatchSSE.readEvents(body, (m) => got.push(m));
  return got;
}"""


def test_the_pages_stream_parser_reads_events_split_anywhere_and_keeps_the_last_id(stack, page):
    page.goto(stack.gateway + "/")
    page.wait_for_function("() => window.dronewatchSSE !== undefined", timeout=TIMEOUT_MS)
    got = page.evaluate(PARSE_CHUNKS, [": live\r\nid: 0:1,1:2\r", "\nretry: 2000\r\n\r\nevent: events\nda",
                                       'ta: {"a":\ndata: 1}\n\n: keep-alive\nid: 0:3\n\n'])
    assert got == [
        {"event": "message", "data": None, "lastId": "0:1,1:2", "retry": 2000},  # a comment block moves the id
        {"event": "events", "data": '{"a":\n1}', "lastId": "0:1,1:2", "retry": None},  # data lines joined
        {"event": "message", "data": None, "lastId": "0:3", "retry": None},
    ]
