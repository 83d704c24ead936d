"""infra/ cannot run here (no Docker engine), so check what can break without one: the compose file's
services and secrets, the deployments' entrypoints, and the settings a deployed flow reads."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from prefect import Flow

from flows.cli import cli
from flows.settings import DEFAULT_COLLECTION, SettingsError, StoreSettings
from tests.conftest import REPO

INFRA = REPO / "infra"


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INFRA / name).read_text(encoding="utf-8"))
    return loaded


def test_compose_runs_the_stack_with_secrets_from_the_environment() -> None:
    compose = load("docker-compose.yml")
    assert set(compose["services"]) == {"qdrant", "postgres", "prefect-server", "worker"}
    worker_env = compose["services"]["worker"]["environment"]
    assert worker_env["RAGMASK_SECRET_KEY"].startswith("${RAGMASK_SECRET_KEY:?")  # required, never a literal
    assert worker_env["RAGMASK_LINEAGE_URL"].startswith("postgresql+psycopg://")
    assert worker_env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    for service in compose["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:")  # nothing published beyond the host


def test_deployments_point_at_real_flows_and_carry_no_secrets() -> None:
    deployments = load("prefect.yaml")["deployments"]
    assert any(schedule.get("cron") for d in deployments for schedule in d.get("schedules", []))
    for deployment in deployments:
        module_path, function = deployment["entrypoint"].split(":")
        module = importlib.import_module(Path(module_path).with_suffix("").as_posix().replace("/", "."))
        assert isinstance(getattr(module, function), Flow)
        for name in deployment.get("parameters", {}):
            assert not re.search(r"url|key|secret|password", name)  # Prefect stores parameters verbatim


def test_dockerfile_pins_the_torch_of_pyproject() -> None:
    pin = re.search(r'"torch==([\d.]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin and f'"torch=={pin.group(1)}"' in (INFRA / "Dockerfile").read_text(encoding="utf-8")


def test_flow_store_settings_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGMASK_LINEAGE_URL", "postgresql+psycopg://lineage-host/ragmask")
    monkeypatch.setenv("RAGMASK_QDRANT_URL", "http://qdrant:6333")
    monkeypatch.setenv("RAGMASK_QDRANT_API_KEY", "api-key-from-env")
    monkeypatch.delenv("RAGMASK_COLLECTION", raising=False)
    from_env = StoreSettings.from_env()
    assert from_env.lineage == "postgresql+psycopg://lineage-host/ragmask"
    assert from_env.qdrant.url == "http://qdrant:6333" and from_env.qdrant.api_key == "api-key-from-env"
    assert from_env.collection == DEFAULT_COLLECTION
    given = StoreSettings.from_env(collection="other", lineage_url="sqlite:///x.db")
    assert (given.collection, given.lineage) == ("other", "sqlite:///x.db")


def test_flow_parameters_round_trip_without_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGMASK_QDRANT_API_KEY", raising=False)
    stores = StoreSettings(data_dir=Path("/srv/data"), collection="c", qdrant_url="http://q:6333",
                           qdrant_api_key="secret-key", lineage_url="sqlite:///l.db")  # fmt: skip
    parameters = stores.flow_parameters()
    assert "secret-key" not in str(parameters)
    again = StoreSettings.from_env(**parameters)
    assert again == StoreSettings(data_dir=Path("/srv/data"), collection="c", qdrant_url="http://q:6333",
                                  lineage_url="sqlite:///l.db")  # fmt: skip


def test_a_url_with_a_password_is_never_a_flow_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://ragmask:s3cret-pw@db:5432/ragmask"
    monkeypatch.delenv("RAGMASK_LINEAGE_URL", raising=False)
    stores = StoreSettings(data_dir=Path("/srv/data"), lineage_url=url)
    with pytest.raises(SettingsError, match="set RAGMASK_LINEAGE_URL in the environment instead") as refused:
        stores.flow_parameters()
    assert "s3cret-pw" not in str(refused.value)
    assert stores.flow_parameters(exclude=("lineage_url",))["data_dir"] == "/srv/data"  # not passed: no harm
    monkeypatch.setenv("RAGMASK_LINEAGE_URL", url)  # the worker's own variable: left out, read there
    parameters = stores.flow_parameters()
    assert parameters["lineage_url"] is None and "s3cret-pw" not in str(parameters)
    assert StoreSettings.from_env(**parameters).lineage == url


def test_the_cli_refuses_a_password_for_a_flow_run_before_it_writes(tmp_path: Path) -> None:
    url = "postgresql+psycopg://ragmask:s3cret-pw@127.0.0.1:1/ragmask"
    done = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(REPO / "examples" / "corpus"),
            "--data-dir",
            str(tmp_path / "d"),
            "--lineage-url",
            url,
        ],
        env={"PREFECT_API_URL": "http://127.0.0.1:1/api", "RAGMASK_LINEAGE_URL": ""},
    )
    assert done.exit_code == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ragmask: error: --lineage-url holds a password, and Prefect stores flow parameters verbatim: "
        "set RAGMASK_LINEAGE_URL in the environment instead"
    )
    assert not (tmp_path / "d").exists()
