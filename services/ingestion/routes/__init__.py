"""Routers of the ingestion API beyond the core article routes (kept out of api.py)."""
