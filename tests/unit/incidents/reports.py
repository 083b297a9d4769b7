"""Our own reports and places for the incidents tests (made up; no devset text)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.messages import GeocodedArticle, IncidentEvent, Location, TimeWindow, derived_id

T0 = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)


def place(name: str, precision: str = "city", *, admin1: str = "RU-BEL", admin1_name: str = "Belgorod Oblast",
          admin2: str | None = "Shebekinsky District", lat: float | None = None, lon: float | None = None,
          country: str = "RU") -> Location:
    return Location(mention=name, name=name, country_code=country, admin1_code=admin1, admin1=admin1_name,
                    admin2=admin2 if precision not in ("admin1", "country") else None,
                    city=name if precision == "city" else None, lat=lat, lon=lon, precision=precision,
                    confidence=0.9)


SHEBEKINO = place("Shebekino", lat=50.409, lon=36.894)
MASLOVA = place("Maslova Pristan", lat=50.452, lon=36.716)  # ~13 km from Shebekino
NOVAYA_TAVOLZHANKA = place("Novaya Tavolzhanka", lat=50.33, lon=36.95)  # ~10 km from Shebekino, ~21 from Maslova
GRAIVORON = place("Graivoron", admin2="Graivoronsky District", lat=50.48, lon=35.67)  # ~87 km west
SHEBEKINSKY = place("Shebekinsky District", "admin2", lat=50.4, lon=36.9)
BELGOROD_REGION = place("Belgorod Oblast", "admin1", lat=50.7, lon=37.0)
KURSK_CITY = place("Kursk", admin1="RU-KRS", admin1_name="Kursk Oblast", admin2=None, lat=51.73, lon=36.19)


def event(article_id: str, loc: Location, *, type_: str = "attack", weapon: str = "uav", published_at: datetime = T0,
          occurred: tuple[datetime, datetime] | None = None, **fields: Any) -> IncidentEvent:
    return IncidentEvent(
        id=derived_id(article_id, type_, weapon, loc.name), article_id=article_id, type=type_, weapon=weapon,  # type: ignore[arg-type]
        location=loc, published_at=published_at, source=fields.pop("source", f"src-{article_id}"),
        occurred_at=TimeWindow(start=occurred[0], end=occurred[1], precision="night") if occurred else None,
        **fields)


def report(article_id: str, *places: Location, at: timedelta = timedelta(0), version: int = 1,
           language: str = "en", withdrawn: bool = False, retracted: list[str] | None = None,
           **fields: Any) -> GeocodedArticle:
    """One report published `at` after T0 with one event per place (same fields for each)."""
    published = T0 + at
    source = fields.pop("source", f"src-{article_id}")
    events = [event(article_id, p, published_at=published, source=source, **fields) for p in places]
    events = [] if withdrawn else events
    return GeocodedArticle(article_id=article_id, language=language, published_at=published, source=source,  # type: ignore[arg-type]
                           events=events, version=version, withdrawn=withdrawn, retracted=retracted or [])
