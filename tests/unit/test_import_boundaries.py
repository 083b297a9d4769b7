"""The direction of the arrows between packages, read from the imports of every module: `shared/` is
the ground floor and imports no service, no service imports another (they talk over Kafka topics
and the store), and `dronewatch/` (the CLI and the dev stack) is the top floor: it may import the
services and `shared/`, and neither imports it. Imports inside functions count too."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Today's known violations, each to be removed by the issue item named beside it. The test fails on
# any import crossing a boundary that is not listed here, and on a listed one that has gone (so the
# list only ever shrinks).
KNOWN = {
    # the places issue: extraction's evaluation builds events with geocoding's handler
    # (services/extraction/evaluation.py); the places library itself is shared/places now
    ("services/extraction", "services.geocoding"),
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


def crossings(root: Path = ROOT) -> set[tuple[str, str]]:
    """(importer, imported package) for each import across a boundary: shared -> any service (keyed
    by the shared module), one service -> another (keyed by the service folder), shared or a service
    -> the top floor `dronewatch` (keyed by the module)."""
    found = set()
    for path in sorted([*root.glob("shared/**/*.py"), *root.glob("services/**/*.py")]):
        rel = path.relative_to(root)
        for module in _imported_modules(path, root):
            parts = module.split(".")
            if parts[0] == "dronewatch":
                found.add((rel.as_posix(), "dronewatch"))
                continue
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


def test_the_top_floor_may_import_services_but_nothing_below_imports_it(tmp_path):
    for rel, text in {"dronewatch/cli.py": "from services.storage.migrations import upgrade\n",
                      "shared/config.py": "from dronewatch.devstack import Stack\n",
                      "services/gateway/app.py": "import dronewatch.cli\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert crossings(tmp_path) == {("shared/config.py", "dronewatch"), ("services/gateway/app.py", "dronewatch")}
