"""The direction of the arrows between packages, read from the imports of every module: `shared/` is
the ground floor and imports no service, and no service imports another (they talk over Kafka
topics and the store). Imports inside functions count too."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Today's known violations, each to be removed by the issue item named beside it. The test fails on
# any import crossing a boundary that is not listed here, and on a listed one that has gone (so the
# list only ever shrinks).
KNOWN = {
    # issue 18, section 2: the `dronewatch` CLI and the local dev stack move above the services
    ("shared/cli.py", "services.ingestion"),
    ("shared/cli.py", "services.storage"),
    ("shared/devstack.py", "services.extraction"),
    ("shared/devstack.py", "services.gateway"),
    ("shared/devstack.py", "services.geocoding"),
    ("shared/devstack.py", "services.ingestion"),
    ("shared/devstack.py", "services.storage"),
    # the places issue: extraction's evaluation builds events with geocoding's handler
    # (services/extraction/evaluation.py); the places library itself is shared/places now
    ("services/extraction", "services.geocoding"),
    # issue 16: the incident grouping evaluation (services/incidents/evaluation.py, `make eval`) runs
    # extraction + geocoding in-process over the devset, as extraction's own evaluation does
    ("services/incidents", "services.extraction"),
}


def _imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports (absolute names; relative imports resolved against its package)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                out.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                out.add(node.module)
    return out


def crossings() -> set[tuple[str, str]]:
    """(importer, imported service package) for each import across a boundary: shared -> any
    service (keyed by the shared module), one service -> another (keyed by the service folder)."""
    found = set()
    for path in sorted([*ROOT.glob("shared/**/*.py"), *ROOT.glob("services/**/*.py")]):
        rel = path.relative_to(ROOT)
        for module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] != "services" or len(parts) < 2:
                continue
            target = f"services.{parts[1]}"
            if rel.parts[0] == "shared":
                found.add((rel.as_posix(), target))
            elif rel.parts[1] != parts[1]:
                found.add((f"services/{rel.parts[1]}", target))
    return found


def test_shared_imports_no_service_and_no_service_imports_another():
    new = crossings() - KNOWN
    assert not new, f"imports across package boundaries: {sorted(new)}"


def test_the_list_of_known_crossings_holds_only_ones_that_still_exist():
    assert not KNOWN - crossings(), f"gone, remove them from KNOWN: {sorted(KNOWN - crossings())}"


def test_the_reader_sees_relative_and_nested_imports(tmp_path):
    module = tmp_path / "services" / "gateway" / "api" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text("import json\nfrom . import deps\nfrom ..filters import where\n\n"
                      "def f():\n    import services.storage.app\n")
    assert _imported_modules(module, tmp_path) == {"json", "services.gateway.api", "services.gateway.filters",
                                                   "services.storage.app"}
