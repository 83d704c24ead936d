"""Shared fixtures. Tests use synthetic data only (Faker with fixed seeds) and a throwaway key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from masking import Masker, MaskingKeys, load_policy

TEST_SECRET = "ragmask-test-secret-not-for-production"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the session: OpenVINO's conversion of the default model is made once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, _model_cache: Path
) -> None:
    """Every test gets the test secret and private config, state and cache directories (no real key file,
    receipt head log or model cache is touched)."""
    monkeypatch.setenv("RAGMASK_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("XDG_CACHE_HOME", str(_model_cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv("RAGMASK_RECEIPT_KEY", raising=False)
    monkeypatch.delenv("RAGMASK_RECEIPT_KEY_FILE", raising=False)
    monkeypatch.delenv("RAGMASK_RECEIPT_LOG", raising=False)
    monkeypatch.delenv("RAGMASK_KEY_FILE", raising=False)
    monkeypatch.delenv("RAGMASK_VAULT_KEY", raising=False)
    monkeypatch.delenv("RAGMASK_VAULT_KEY_FILE", raising=False)
    monkeypatch.delenv("RAGMASK_POLICY", raising=False)


@pytest.fixture
def fresh_model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty model cache and no model loaded in this process: a fresh process on a fresh machine."""
    from indexers import embedding_models

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh-cache"))
    embedding_models.forget_loaded_models()
    yield tmp_path / "fresh-cache"
    embedding_models.forget_loaded_models()


@pytest.fixture(scope="session")
def keys() -> MaskingKeys:
    return MaskingKeys(TEST_SECRET.encode())


@pytest.fixture(scope="session")
def masker(keys: MaskingKeys) -> Masker:
    return Masker(keys, load_policy("default"), run_id="test-run")


@pytest.fixture
def fake() -> Iterator[Faker]:
    faker = Faker("en_US")
    faker.seed_instance(1234)
    yield faker


def env_without_secret() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "RAGMASK_SECRET_KEY"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of an empty database on a throwaway local PostgreSQL server."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'ragmask[postgres]')")
    from tests.pg_server import PostgresUnavailableError, postgres_server

    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailableError as error:
        pytest.skip(str(error))


@pytest.fixture
def masking_pool_starts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Grows by one each time a run starts its masking worker pool (its worker processes)."""
    from flows.pipeline.masking_workers import MaskingWorkers

    starts: list[int] = []
    start_pool = MaskingWorkers._start_pool

    def counted(self: MaskingWorkers) -> Any:
        if self._pool is None:
            starts.append(1)
        return start_pool(self)

    monkeypatch.setattr(MaskingWorkers, "_start_pool", counted)
    return starts
