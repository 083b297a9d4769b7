"""The incidents service's composition root: settings, logging, then the runner (the state store's
tables are created at start when missing)."""
from __future__ import annotations

from services.incidents.app import build_runner
from services.incidents.settings import IncidentsSettings
from shared.service import run_worker, start_service


def main() -> None:
    settings = IncidentsSettings()
    start_service(settings)
    run_worker(settings, build_runner)
