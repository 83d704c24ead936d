"""What a Prefect form may reach under `ragmask serve`: paths under the configured sources only, after
symlinks are resolved, and the stores serve was started with. Checked on real directories and links; the
served deployments are exercised against a real Prefect server in tests/test_prefect_server.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.settings import IngestSettings, StoreSettings
from flows.settings.source_roots import (
    FORM_STORES,
    LOCKED,
    SOURCE_ROOTS,
    OutsideSourcesError,
    check_within_sources,
)
from masking.errors import SettingsError


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources = tmp_path / "sources"
    (sources / "hr").mkdir(parents=True)
    monkeypatch.setenv(SOURCE_ROOTS, str(sources))
    return sources


def test_paths_under_a_root_pass_and_others_are_refused_by_name(roots: Path, tmp_path: Path) -> None:
    check_within_sources([str(roots), str(roots / "hr"), str(roots / "hr" / "new.txt")])
    private = tmp_path / "private"
    private.mkdir()
    for outside in ("/etc", str(private), str(roots / ".." / "private")):
        with pytest.raises(OutsideSourcesError, match=f"path '{outside}' lies outside"):
            check_within_sources([str(roots / "hr"), outside])


def test_a_link_inside_the_sources_that_leads_out_is_refused(roots: Path, tmp_path: Path) -> None:
    (roots / "hr" / "etc").symlink_to("/etc")
    with pytest.raises(OutsideSourcesError, match="etc"):
        check_within_sources([str(roots / "hr" / "etc")])


def test_serve_without_sources_lets_a_form_read_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SOURCE_ROOTS, "")
    with pytest.raises(OutsideSourcesError, match="serve was given no --source"):
        check_within_sources([str(tmp_path)])


def test_without_a_bound_the_cli_reads_what_its_operator_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SOURCE_ROOTS, raising=False)
    check_within_sources(["/etc"])


def test_a_form_cannot_choose_its_stores_under_serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    served = tmp_path / "data"
    monkeypatch.setenv("RAGMASK_DATA_DIR", str(served))
    monkeypatch.setenv(FORM_STORES, LOCKED)
    # empty: serve's stores
    IngestSettings(stores=StoreSettings(collection="docs")).for_flow_run()
    # the same folder
    IngestSettings(stores=StoreSettings(data_dir=str(served))).for_flow_run()
    for field, value in (
        ("data_dir", str(tmp_path / "elsewhere")),
        ("qdrant_path", str(tmp_path / "q")),
        ("lineage_url", "sqlite:////tmp/other.db"),
        ("qdrant_url", "http://127.0.0.1:6333"),
    ):
        with pytest.raises(SettingsError, match=f"{field} .* cannot be set from a form"):
            IngestSettings(stores=StoreSettings(**{field: value})).for_flow_run()
    # serve --allow-form-stores
    monkeypatch.setenv(FORM_STORES, "")
    IngestSettings(stores=StoreSettings(data_dir=str(tmp_path / "elsewhere"))).for_flow_run()
