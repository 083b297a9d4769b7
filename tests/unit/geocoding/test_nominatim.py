"""The optional Nominatim street look-up, against a fake search service on 127.0.0.1 started here
(canned JSON, simulated 500s and timeouts): nothing touches the internet."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

import pytest

from services.geocoding.adapters.nominatim import NominatimStreetGeocoder, wanted_level
from services.geocoding.adapters.nominatim_http import NominatimClient
from services.geocoding.handlers import handle_places_extracted
from services.geocoding.main import build_geocoder
from services.geocoding.ports import SearchFailed
from services.geocoding.settings import GeocodingSettings
from shared.messages import ExtractedEvent, ExtractionResult, Location, PlaceMention, PlacesExtracted
from shared.places import GazetteerGeocoder

TEXT = "A drone hit a house on Gagarina Avenue 12 in Kharkiv."
STREET_HIT = {"osm_type": "way", "osm_id": 4242, "lat": "49.9702", "lon": "36.2601", "place_rank": 26,
              "category": "highway", "type": "primary", "addresstype": "road", "name": "Gagarina Avenue",
              "address": {"road": "Gagarina Avenue", "city": "Kharkiv", "ISO3166-2-lvl4": "UA-63",
                          "country_code": "ua"}}
FAR_HIT = {**STREET_HIT, "lat": "49.84", "lon": "24.03", "address": {"ISO3166-2-lvl4": "UA-46"}}  # Lviv


class FakeNominatim:
    """A tiny /search server: `plan` is a list of what to do for each request in turn (the last
    entry repeats): a result list, an int status code, or ('sleep', seconds)."""

    def __init__(self, plan):
        self.plan, self.calls = list(plan), []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                fake.calls.append((url.path, dict(parse_qsl(url.query)), self.headers.get("User-Agent")))
                step = fake.plan[min(len(fake.calls), len(fake.plan)) - 1]
                if isinstance(step, tuple):
                    time.sleep(step[1])
                    step = []
                if isinstance(step, int):
                    self.send_response(step)
                    self.end_headers()
                    return
                body = json.dumps(step).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_server():
    servers = []

    def start(*plan):
        servers.append(FakeNominatim(plan or [[STREET_HIT]]))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def client(url, **kw):
    kw = {"timeout_s": 0.3, "retries": 1, "rate_per_s": 0, "backoff_s": 0.0, **kw}
    return NominatimClient(url, **kw)


KHARKIV = Location(mention="Kharkiv", name="Kharkiv", country_code="UA", admin1_code="UA-63", admin1="Kharkiv Oblast",
                   city="Kharkiv", lat=49.98081, lon=36.25272, precision="city", confidence=0.9, reason="exact name")
STREET_LOC = KHARKIV.model_copy(update={"mention": "Gagarina Avenue", "name": "Gagarina Avenue, Kharkiv",
                                        "street": "Gagarina Avenue", "house_numbers": ["12"],
                                        "reason": "street has no coordinates; using the city coordinates of Kharkiv"})
PLACES = [PlaceMention(text="Gagarina Avenue 12", span=(23, 41), normalized="Gagarina Avenue", level_hint="street",
                       street="Gagarina Avenue", house_numbers=["12"]),
          PlaceMention(text="Kharkiv", span=(45, 52), normalized="Kharkiv", level_hint="city")]


class Fixed:
    """The gazetteer's answer, fixed: a street placed at its city's point, and the city."""

    def __init__(self):
        self.calls = 0

    def resolve(self, places, *, language, text=""):
        self.calls += 1
        return [STREET_LOC, KHARKIV][: len(places)]


def test_street_gets_its_own_coordinates(fake_server):
    server = fake_server([STREET_HIT])
    locs = NominatimStreetGeocoder(Fixed(), client(server.url)).resolve(PLACES, language="en")
    street, city = locs
    assert street.precision == "street" and (street.lat, street.lon) == (49.9702, 36.2601)
    assert street.street == "Gagarina Avenue" and street.admin1_code == "UA-63"
    assert "search service" in street.reason and "way 4242" in street.reason
    assert city == KHARKIV  # a city resolved at its own level is not looked up
    path, params, agent = server.calls[0]
    assert len(server.calls) == 1 and path == "/search"
    assert params["street"] == "12 Gagarina Avenue" and params["city"] == "Kharkiv"
    assert params["format"] == "jsonv2" and params["countrycodes"] == "ua" and agent.startswith("dronewatch")


def test_an_answer_elsewhere_or_of_the_wrong_kind_is_not_used(fake_server):
    town = {**STREET_HIT, "place_rank": 16}
    server = fake_server([FAR_HIT, town])
    street, _ = NominatimStreetGeocoder(Fixed(), client(server.url)).resolve(PLACES, language="en")
    assert street.precision == "city" and (street.lat, street.lon) == (KHARKIV.lat, KHARKIV.lon)
    assert "found no street" in street.reason and "kept the gazetteer's city point" in street.reason


@pytest.mark.parametrize("plan, attempts, why", [
    ([("sleep", 1.0)], 2, "timeout after 2 attempts"),
    ([500], 2, "HTTP 500 after 2 attempts"),
    ([404], 1, "HTTP 404"),
])
def test_failures_fall_back_to_the_gazetteer(fake_server, plan, attempts, why):
    server = fake_server(*plan)
    started = time.monotonic()
    street, _ = NominatimStreetGeocoder(Fixed(), client(server.url)).resolve(PLACES, language="en")
    assert street.precision == "city" and street.lat == KHARKIV.lat
    assert why in street.reason and "kept the gazetteer's city point" in street.reason
    assert len(server.calls) == attempts
    assert time.monotonic() - started < 3  # bounded by timeout x attempts


def test_a_5xx_is_retried_then_succeeds(fake_server):
    server = fake_server(503, [STREET_HIT])
    street, _ = NominatimStreetGeocoder(Fixed(), client(server.url)).resolve(PLACES, language="en")
    assert street.precision == "street" and len(server.calls) == 2


def test_unreachable_service_falls_back(fake_server):
    server = fake_server([STREET_HIT])
    server.close()  # nothing listens there any more
    street, _ = NominatimStreetGeocoder(Fixed(), client(server.url)).resolve(PLACES, language="en")
    assert street.precision == "city" and "connection error" in street.reason


def test_cache_avoids_repeat_calls(fake_server):
    server = fake_server([STREET_HIT])
    c = client(server.url, cache_size=10)
    geocoder = NominatimStreetGeocoder(Fixed(), c)
    first = geocoder.resolve(PLACES, language="en")
    second = geocoder.resolve(PLACES, language="en")
    assert first == second and first[0].precision == "street"
    assert len(server.calls) == 1 and c.requests == 1 and c.cache_hits == 1


def test_cache_is_bounded_lru(fake_server):
    server = fake_server([])
    c = client(server.url, cache_size=2)
    for q in ("a", "b", "a", "c", "a", "b"):
        c.search({"q": q})
    assert [p["q"] for _, p, _ in server.calls] == ["a", "b", "c", "b"]  # "b" was the least recently used


def test_rate_limit_spaces_requests(fake_server):
    """No two requests closer than 1/rate: five at 20/s cannot take less than four intervals, even
    when asked from several threads at once; a cached answer waits for nothing."""
    server = fake_server([])
    c = client(server.url, rate_per_s=20.0, retries=0)
    started = time.monotonic()
    threads = [threading.Thread(target=c.search, args=({"q": f"place {i}"},)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.calls) == 5 and c.requests == 5
    assert time.monotonic() - started >= 4 / 20.0
    c.search({"q": "place 0"})
    assert len(server.calls) == 5 and c.cache_hits == 1


def test_time_budget_per_report(fake_server):
    server = fake_server([STREET_HIT])
    ticks = iter([0.0, 100.0, 100.0])
    geocoder = NominatimStreetGeocoder(Fixed(), client(server.url), budget_s=5, clock=lambda: next(ticks))
    street, _ = geocoder.resolve(PLACES, language="en")
    assert street.precision == "city" and "time budget" in street.reason and not server.calls


def test_search_failed_is_the_ports_error(fake_server):
    server = fake_server(500)
    with pytest.raises(SearchFailed):
        client(server.url, retries=0).search({"q": "x"})


def test_wanted_level():
    assert wanted_level(PLACES[0], STREET_LOC) == "street"
    assert wanted_level(PLACES[1], KHARKIV) is None
    district = KHARKIV.model_copy(update={"name": "Shevchenkivskyi District, Kharkiv"})
    assert wanted_level(PLACES[1], district) == "city_district"
    no_centre = KHARKIV.model_copy(update={"precision": "admin1", "city": None, "admin2": "Izium Raion"})
    assert wanted_level(PLACES[1], no_centre) == "admin2"
    assert wanted_level(PLACES[1], Location(mention="x", reason="nothing")) is None


def test_off_when_unset(gazetteer, fake_server):
    assert isinstance(build_geocoder(GeocodingSettings(_env_file=None), gazetteer), GazetteerGeocoder)
    server = fake_server([STREET_HIT])
    on = build_geocoder(GeocodingSettings(_env_file=None, geocoding_nominatim_url=server.url), gazetteer)
    assert isinstance(on, NominatimStreetGeocoder)


def test_through_the_handler_with_the_real_gazetteer(gazetteer, fake_server):
    server = fake_server([STREET_HIT])
    geocoder = NominatimStreetGeocoder(GazetteerGeocoder(gazetteer), client(server.url))
    places = [PlaceMention(text="Kharkiv", span=(45, 52), normalized="Kharkiv", level_hint="city"),
              PlaceMention(text="Gagarina Avenue 12", span=(23, 41), normalized="Gagarina Avenue",
                           level_hint="street", parent=0, street="Gagarina Avenue", house_numbers=["12"])]
    result = ExtractionResult(article_id="a1", language="en", places=places,
                              events=[ExtractedEvent(type="impact", weapon="uav", place=1)])
    msg = PlacesExtracted.create(producer="extraction", correlation_id="a1", payload=result, event_id="m-1")
    [out] = asyncio.run(handle_places_extracted(msg, geocoder=geocoder))
    [event] = out.payload.events
    assert event.location.precision == "street" and event.location.street == "Gagarina Avenue"
    assert event.location.admin1_code == "UA-63" and event.location.house_numbers == ["12"]
