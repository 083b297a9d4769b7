"""The entry-point boilerplate every service shares, written once: logging set-up, the start-up
line with the resolved (masked) settings, stopping at start on a malformed data file, and running a
worker's Runner until a signal."""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from typing import TypeVar

import uvloop

from shared.config import BaseServiceSettings
from shared.datafiles import DataFileError
from shared.kafka.runner import Runner, run_until_signalled
from shared.logging import setup_logging
from shared.ops import OpsServer

log = logging.getLogger(__name__)
SettingsT = TypeVar("SettingsT", bound=BaseServiceSettings)


def start_service(settings: BaseServiceSettings) -> None:
    # CPU-bound libraries must not spawn a thread per core in each worker process.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    setup_logging(settings.service_name, settings.log_level, settings.log_format)
    log.info("starting", extra={"settings": settings.masked()})


@contextlib.contextmanager
def stop_on_bad_data() -> Iterator[None]:
    """Around what a service loads at start: a malformed data file ends the process (exit code 2)
    with one critical log line naming the file, the line and what is wrong, before anything runs."""
    try:
        yield
    except DataFileError as err:
        log.critical(f"cannot start: {err}", extra={"file": str(err.path), "line": err.line})
        raise SystemExit(2) from None


def run_worker(settings: SettingsT, build_runner: Callable[[SettingsT], Runner]) -> None:
    """Build the runner inside the event loop (aiokafka clients bind to it) and run it until
    SIGTERM/SIGINT, on uvloop (the HTTP services get it from uvicorn): most of what a worker spends
    besides its handler is the Kafka client's event-loop work."""

    async def _main() -> None:
        runner = build_runner(settings)
        ops = None
        if settings.ops_port is not None:
            ops = OpsServer(settings.ops_host, settings.ops_port, runner.metrics, lambda: runner.ready)
            await ops.start()
        try:
            await run_until_signalled(runner)
        finally:
            if ops:
                await ops.stop()

    uvloop.run(_main())
