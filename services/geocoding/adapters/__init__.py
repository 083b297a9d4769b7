"""Geocoding's adapters: the optional Nominatim street look-up (HTTP client and the geocoder
that wraps the gazetteer with it)."""
