"""The two lock files: images install requirements.lock (runtime only); developers and CI install
requirements-dev.lock. Both must pin the runtime packages identically, or the tests would run on
other versions than the images."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    return {m.group(1).lower().split("[")[0]: m.group(2) for m in PIN.finditer(text)}


def test_the_dev_lock_pins_every_runtime_package_at_the_same_version() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert runtime, "requirements.lock has no pins"
    assert {name: (version, dev.get(name)) for name, version in runtime.items() if dev.get(name) != version} == {}


def test_images_do_not_carry_the_test_tools() -> None:
    runtime = _pins("requirements.lock")
    assert not {"pytest", "hypothesis", "schemathesis", "playwright", "ruff"} & runtime.keys()
    assert "--require-hashes -r requirements.lock" in (ROOT / "deploy" / "Dockerfile").read_text()
