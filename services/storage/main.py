"""Storage's composition root: settings, logging, migrations, then the runner."""
from __future__ import annotations

from services.storage.app import build_runner
from services.storage.migrations import upgrade
from services.storage.settings import StorageSettings
from shared.service import run_worker, start_service


def main() -> None:
    settings = StorageSettings()
    start_service(settings)
    if settings.storage_migrate_on_start:
        upgrade(settings.database_url)
    run_worker(settings, build_runner)
