"""The top floor: the `dronewatch` command (`cli.py`) and the local dev stack (`devstack.py`).

They start, migrate and feed the services, so they sit above them: this package may import
`services/` and `shared/`; neither of those may import it (tests/unit/test_import_boundaries.py)."""
