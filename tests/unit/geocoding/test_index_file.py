"""The index file is built once, reused while the configured sources are the same, and rebuilt
when they change (so turning on richer sources is never silently ignored)."""
from __future__ import annotations

from pathlib import Path

from shared.config import GazetteerSettings
from shared.places import indexfile as index_module


def test_index_is_reused_for_the_same_sources_and_rebuilt_for_others(tmp_path, monkeypatch):
    builds: list[object] = []

    def fake_build(out: Path, *, extra_sources=None, packaged=True, progress=None):
        builds.append(extra_sources if packaged else ("without the settlement package", extra_sources))
        out.write_bytes(b"index")
        return "stats"

    monkeypatch.setattr(index_module, "build_index", fake_build)
    path = tmp_path / "gazetteer" / "index.pkl.gz"
    embedded = GazetteerSettings(_env_file=None, gazetteer_index_path=path)
    rich = GazetteerSettings(_env_file=None, gazetteer_index_path=path, gazetteer_extra_sources=tmp_path)
    assert index_module.ensure_index(embedded) == path
    index_module.ensure_index(embedded)
    assert builds == [None]
    index_module.ensure_index(rich)
    index_module.ensure_index(rich)
    assert builds == [None, tmp_path]
    index_module.ensure_index(rich, rebuild=True)
    assert len(builds) == 3 and not list(path.parent.glob("*.tmp"))
    plain = GazetteerSettings(_env_file=None, gazetteer_index_path=path, gazetteer_use_settlement_package=False)
    index_module.ensure_index(plain)
    index_module.ensure_index(plain)
    assert builds[3:] == [("without the settlement package", None)]
