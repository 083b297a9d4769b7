"""docker-compose.yml, deploy/Dockerfile and .env.example agree with the code: every service is
built from the one Dockerfile and exists as a package, every variable is a real setting and is
documented, healthchecks and start order are in place. No Docker engine needed."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from services.extraction.settings import ExtractionSettings
from services.gateway.settings import GatewaySettings
from services.geocoding.settings import GeocodingSettings
from services.incidents.settings import IncidentsSettings
from services.ingestion.settings import IngestionSettings
from services.storage.settings import StorageSettings
from shared.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[2]
WORKERS = {"storage", "extraction", "geocoding", "incidents", "ingestion", "gateway"}
SETTINGS = [StorageSettings, ExtractionSettings, GeocodingSettings, IncidentsSettings, IngestionSettings,
            GatewaySettings]
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "INGESTION_PUBLISH_PORT", "GATEWAY_PUBLISH_PORT"}
DEVSTACK_ONLY = {"LOCAL_BROKER_PORT", "TANSU_BIN"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def setting_names() -> set[str]:
    return {name.upper() for cls in SETTINGS for name in cls.model_fields}


def test_every_service_is_built_from_the_one_dockerfile_and_exists(compose):
    services = compose["services"]
    assert WORKERS <= set(services)
    for name in WORKERS:
        build = services[name]["build"]
        assert build["dockerfile"] == "deploy/Dockerfile" and build["args"]["SERVICE"] == name
        assert (ROOT / "services" / name / "__main__.py").exists()
    assert (ROOT / "deploy" / "Dockerfile").exists()


def test_the_image_copies_every_package_the_project_installs():
    # the image runs `pip install .`: a package left out of the COPY lines is silently missing from it
    # (then `dronewatch topics`, compose's topics-init, fails at start)
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \1$", (ROOT / "deploy" / "Dockerfile").read_text(), re.M))
    assert packages == {"dronewatch", "shared", "services"} and packages <= copied, packages - copied
    assert project["project"]["scripts"]["dronewatch"] == "dronewatch.cli:main"


def test_infrastructure_uses_official_images_with_volumes_and_healthchecks(compose):
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"].startswith("postgis/postgis:")  # postgres plus PostGIS, for the store
    for name in ("kafka", "postgres", *WORKERS):
        assert "healthcheck" in services[name], name
    assert {"kafka-data", "postgres-data"} <= set(compose["volumes"])


def test_workers_start_after_topics_and_database_and_stop_gracefully(compose):
    services = compose["services"]
    assert services["topics-init"]["command"] == ["dronewatch", "topics"]
    for name in ("storage", "extraction", "geocoding", "incidents", "ingestion"):
        deps = services[name]["depends_on"]
        assert deps["topics-init"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert services[name]["restart"] == "unless-stopped"
        assert int(services[name]["stop_grace_period"].rstrip("s")) >= 15


def test_environment_variables_in_compose_are_real_settings(compose):
    known = setting_names() | COMPOSE_ONLY
    for name, service in compose["services"].items():
        if name in ("kafka", "postgres"):
            continue
        for var in service.get("environment", {}):
            assert var in known, f"{name} sets {var}, which no settings class reads"


def test_env_example_documents_every_setting_and_nothing_else():
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    expected = setting_names() | COMPOSE_ONLY | DEVSTACK_ONLY
    assert documented == expected, (f"missing: {sorted(expected - documented)}; "
                                    f"unknown: {sorted(documented - expected)}")
    assert "POSTGRES_PASSWORD=" in text and "${POSTGRES_PASSWORD:?" in (ROOT / "docker-compose.yml").read_text()


def test_worker_topics_have_partitions_to_share_when_scaled_out():
    for topic in ALL_TOPICS:
        if not topic.name.startswith("dlq."):
            assert topic.partitions >= 3, topic.name


def test_writes_and_administration_need_keys_and_the_stack_needs_api_keys_to_start(compose):
    """In compose, ingestion requires a key for posts and for feed/channel administration, and
    API_KEYS has no default: `${API_KEYS:?...}` makes compose refuse to start without it, as it does
    without POSTGRES_PASSWORD. Reads stay a choice (GATEWAY_REQUIRE_KEY_FOR_READS, off by default)."""
    services = compose["services"]
    ingestion, gateway = services["ingestion"]["environment"], services["gateway"]["environment"]
    assert str(ingestion["INGESTION_REQUIRE_KEY"]).lower() == "true"
    for env in (ingestion, gateway):
        assert re.fullmatch(r"\$\{API_KEYS:\?[^}]+\}", env["API_KEYS"]), env["API_KEYS"]
    assert re.fullmatch(r"\$\{GATEWAY_REQUIRE_KEY_FOR_READS:-(true|false)\}", gateway["GATEWAY_REQUIRE_KEY_FOR_READS"])
    # and the services refuse required keys without any configured, whatever starts them
    with pytest.raises(ValueError, match="API_KEYS is empty"):
        IngestionSettings(_env_file=None, ingestion_require_key=True)
    with pytest.raises(ValueError, match="API_KEYS is empty"):
        GatewaySettings(_env_file=None, gateway_require_key_for_reads=True)


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config -q` with only these of the stack's variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_PASSWORD", "API_KEYS")}
    dot_env = ROOT / ".env"  # env_file: [.env] must exist; make an empty one for the check only
    made = not dot_env.exists()
    if made:
        dot_env.write_text("")
    try:
        return subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                              cwd=ROOT, env={**clean, **env}, capture_output=True, text=True)
    finally:
        if made:
            dot_env.unlink()


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed")
def test_docker_compose_config_validates_the_file():
    result = compose_config(POSTGRES_PASSWORD="test", API_KEYS="s3cret=ops")
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed")
@pytest.mark.skipif((ROOT / ".env").exists(), reason="a .env file here would supply the variables")
def test_docker_compose_refuses_the_stack_without_api_keys():
    result = compose_config(POSTGRES_PASSWORD="test")
    assert result.returncode != 0 and "API_KEYS" in result.stderr, result.stderr


def test_the_configuration_page_documents_every_setting():
    table = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    missing = (setting_names() | COMPOSE_ONLY | DEVSTACK_ONLY) - documented
    assert not missing, f"docs/configuration.md lacks {sorted(missing)}"
