"""Session fixtures: build the gazetteer index once per test session into a temporary directory."""

from __future__ import annotations

import pytest

from shared.places import Gazetteer, GazetteerGeocoder, build_index


@pytest.fixture(scope="session")
def built_index(tmp_path_factory):
    path = tmp_path_factory.mktemp("gazetteer") / "gazetteer.pkl.gz"
    stats = build_index(path)
    return path, stats


@pytest.fixture(scope="session")
def gazetteer(built_index) -> Gazetteer:
    return Gazetteer.load(built_index[0])


@pytest.fixture(scope="session")
def geocoder(gazetteer) -> GazetteerGeocoder:
    return GazetteerGeocoder(gazetteer)
