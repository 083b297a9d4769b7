"""NominatimStreetGeocoder: the gazetteer first, then a Nominatim-compatible search service for the
mentions the gazetteer could place only at a coarser level than the text names (a street at its
city's point, a city district or a district without a centre of its own, a village known only through
its district).

An answer is used only when it is of the right kind (Nominatim's place_rank: 26-30 for streets and
houses, 13-25 for settlements and city districts, 8-14 for districts) and lies where the gazetteer put
the place: inside the same ISO 3166-2 region when the answer names one, and within a radius of the
gazetteer's point (15-25 km of a city, 60 km of a district centre, 350 km of a regional capital).
Anything else - no answer, an answer elsewhere, a timeout, an error, the per-report time budget spent -
keeps the gazetteer's location and says so in `reason`. Never raises.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from services.geocoding.ports import Geocoder, PlaceSearch, RegionalGeocoder, SearchFailed
from shared.geo import haversine_km
from shared.messages import Location, PlaceMention

log = logging.getLogger(__name__)
RANKS = {"street": (26, 30), "city_district": (14, 25), "city": (13, 25), "admin2": (8, 14)}
RADIUS_KM = {"street": 25.0, "city_district": 15.0, "city": 25.0, "admin2": 60.0, "admin1": 350.0}
A1_SAME = [{"UA-43", "RU-CR"}, {"UA-40", "RU-SEV"}]


def wanted_level(pm: PlaceMention, loc: Location) -> str | None:
    """The level the text names when the gazetteer's coordinates stand for a coarser one, else None."""
    if loc.precision is None or loc.lat is None or loc.precision in ("street", "country", "sea"):
        return None
    if loc.street:
        return "street"
    if loc.precision == "city" and loc.city and loc.name and loc.name.endswith(f", {loc.city}"):
        return "city_district"
    if loc.precision in ("admin1", "admin2") and loc.city:
        return "city"  # a settlement placed at its district's or region's point
    if loc.precision == "admin1" and loc.admin2:
        return "admin2"
    return None


def _query(pm: PlaceMention, loc: Location, level: str) -> dict[str, str]:
    params = {"limit": "5"}
    if loc.country_code:
        params["countrycodes"] = loc.country_code.lower()
    if level == "street":
        street = pm.street or loc.street or pm.normalized
        house = f"{pm.house_numbers[0]} " if pm.house_numbers else ""
        if loc.city:
            return {**params, "street": f"{house}{street}", "city": loc.city}
        return {**params, "q": ", ".join(x for x in (f"{house}{street}", loc.admin2, loc.admin1) if x)}
    if level == "city_district":
        return {**params, "q": f"{(loc.name or pm.normalized).rsplit(', ', 1)[0]}, {loc.city}"}
    if level == "city":
        return {**params, "q": ", ".join(x for x in (loc.city, loc.admin2, loc.admin1) if x)}
    return {**params, "q": ", ".join(x for x in (loc.admin2, loc.admin1) if x)}


def _a1_of(hit: dict) -> str | None:
    address = hit.get("address") or {}
    if isinstance(address.get("ISO3166-2-lvl4"), str):  # the region level in RU/UA/BY
        return address["ISO3166-2-lvl4"]
    codes = [v for k, v in address.items() if k.startswith("ISO3166-2") and isinstance(v, str)]
    return codes[0] if codes else None


def _same_a1(a: str, b: str) -> bool:
    return a == b or any(a in s and b in s for s in A1_SAME)


class NominatimStreetGeocoder:
    def __init__(self, inner: Geocoder, search: PlaceSearch, *, budget_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.inner, self.search, self.budget_s, self._clock = inner, search, budget_s, clock

    def region(self, code: str) -> Location | None:
        return self.inner.region(code) if isinstance(self.inner, RegionalGeocoder) else None

    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "",
                region_hint: str | None = None) -> list[Location]:
        hint = {"region_hint": region_hint} if region_hint else {}
        locations = self.inner.resolve(places, language=language, text=text, **hint)
        deadline = self._clock() + self.budget_s
        out = []
        for pm, loc in zip(places, locations, strict=True):
            level = wanted_level(pm, loc)
            if level is None:
                out.append(loc)
                continue
            try:
                out.append(self._refine(pm, loc, level, deadline))
            except Exception as exc:  # never let the optional look-up cost the event
                log.warning("street look-up crashed", extra={"error": repr(exc)})
                out.append(_keep(loc, f"search failed ({exc!r})"))
        return out

    def _refine(self, pm: PlaceMention, loc: Location, level: str, deadline: float) -> Location:
        if self._clock() >= deadline:
            return _keep(loc, "search skipped, time budget for this report spent")
        try:
            hits = self.search.search(_query(pm, loc, level))
        except SearchFailed as exc:
            log.info("search service failed; keeping the gazetteer location", extra={"error": str(exc)})
            return _keep(loc, f"search failed: {exc}")
        lo, hi = RANKS[level]
        radius = RADIUS_KM.get(loc.precision or "", 25.0)
        for hit in hits:
            try:
                lat, lon, rank = float(hit["lat"]), float(hit["lon"]), int(hit.get("place_rank", -1))
            except (KeyError, TypeError, ValueError):
                continue
            a1 = _a1_of(hit)
            if not lo <= rank <= hi or (a1 and loc.admin1_code and not _same_a1(a1, loc.admin1_code)):
                continue
            d = haversine_km(loc.lat, loc.lon, lat, lon)  # type: ignore[arg-type]
            if d > radius:
                continue
            where = loc.city or loc.admin2 or loc.admin1 or loc.name
            osm = f"{hit.get('osm_type', '?')} {hit.get('osm_id', '?')}"
            reason = (f"{level.replace('_', ' ')} found by the search service (OSM {osm}, "
                      f"{d:.1f} km from the gazetteer's point of {where}); gazetteer: {loc.reason}")
            return loc.model_copy(update={"lat": round(lat, 6), "lon": round(lon, 6), "precision": level,
                                          "confidence": round(min(0.95, loc.confidence + 0.05), 3),
                                          "reason": reason})
        return _keep(loc, f"the search service found no {level.replace('_', ' ')} there")


def _keep(loc: Location, why: str) -> Location:
    return loc.model_copy(update={"reason": f"{loc.reason}; {why}, kept the gazetteer's {loc.precision} point"})
