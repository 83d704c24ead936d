"""infra/ cannot run here (no Docker engine), so check what can break without one: the compose file's
services, commands, health checks, restart policies and secrets; the build context; prefect.yaml against
what `ragmask serve` deploys; the forms' bounds; and the settings a deployed flow reads."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from prefect.utilities.callables import parameter_schema
from pydantic import ValidationError

from flows.cli import cli
from flows.prefect.deployments import deployment_specs
from flows.settings import (
    DEFAULT_COLLECTION,
    AuditSettings,
    CompactSettings,
    EraseSettings,
    ExpireSettings,
    IngestSettings,
    OperationSettings,
    ReindexSettings,
    ScrubSettings,
    ServeSettings,
    StoreSettings,
)
from masking.errors import SettingsError
from tests.conftest import REPO

INFRA = REPO / "infra"
SETTINGS_MODELS: dict[str, type[OperationSettings]] = {
    "ingest": IngestSettings, "reindex": ReindexSettings, "expire": ExpireSettings, "audit": AuditSettings,
    "compact": CompactSettings, "erase": EraseSettings, "scrub": ScrubSettings,
}  # fmt: skip


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INFRA / name).read_text(encoding="utf-8"))
    return loaded


def test_compose_runs_the_stack_with_secrets_from_the_environment() -> None:
    compose = load("docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"qdrant", "postgres", "prefect-server", "worker"}
    worker_env = services["worker"]["environment"]
    # required, never a literal
    assert worker_env["RAGMASK_SECRET_KEY"].startswith("${RAGMASK_SECRET_KEY:?")
    assert worker_env["RAGMASK_LINEAGE_URL"].startswith("postgresql+psycopg://")
    assert worker_env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    for service in services.values():
        assert service["restart"] == "unless-stopped"
        for port in service.get("ports", []):
            # nothing published beyond the host
            assert port.startswith("127.0.0.1:")
    text = (INFRA / "docker-compose.yml").read_text(encoding="utf-8")
    for secret in ("RAGMASK_SECRET_KEY", "QDRANT_API_KEY", "POSTGRES_PASSWORD"):
        # no silent default password
        assert f"${{{secret}:?" in text and f"${{{secret}:-" not in text


def test_compose_commands_work_as_documented() -> None:
    compose_text = (INFRA / "docker-compose.yml").read_text(encoding="utf-8")
    services = load("docker-compose.yml")["services"]
    worker = services["worker"]
    # the image's entrypoint is `ragmask`, so `docker compose run --rm worker ingest /sources` runs
    # `ragmask ingest /sources`; the service serves the deployments (no `prefect deploy` at every start,
    # which would overwrite schedules edited in the UI)
    assert "entrypoint" not in worker
    assert re.search(r'^ENTRYPOINT \["ragmask"\]$', (INFRA / "Dockerfile").read_text(encoding="utf-8"), re.M)
    assert worker["command"][0] == "serve" and "deploy" not in " ".join(worker["command"])
    assert CliRunner().invoke(cli, ["serve", "--help"]).exit_code == 0
    assert "api/health" in " ".join(services["prefect-server"]["healthcheck"]["test"])
    assert worker["depends_on"]["prefect-server"] == {"condition": "service_healthy"}
    documented = re.findall(r"compose -f infra/docker-compose.yml run --rm worker (\w+)", compose_text)
    assert documented and set(documented) <= set(cli.commands)


def test_the_qdrant_server_matches_the_client_minor_version() -> None:
    image = load("docker-compose.yml")["services"]["qdrant"]["image"]
    server = re.fullmatch(r"qdrant/qdrant:v(\d+)\.(\d+)\.\d+", image)
    pin = re.search(
        r'"qdrant-client>=(\d+)\.(\d+),<(\d+)\.(\d+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8")
    )
    assert server and pin and server.groups() == pin.groups()[:2]
    # one minor
    assert (int(pin.group(3)), int(pin.group(4))) == (int(pin.group(1)), int(pin.group(2)) + 1)


def test_the_build_context_leaves_local_state_out() -> None:
    ignored = set((REPO / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv/", ".ragmask/", ".git/", "*.key"} <= ignored


def test_prefect_yaml_declares_what_serve_serves() -> None:
    config = load("prefect.yaml")
    # no fixed directory: `prefect deploy` records where it ran
    assert "pull" not in config
    declared = {d["entrypoint"]: d for d in config["deployments"]}
    specs = {
        f"{s.flow.fn.__module__}.{s.flow.fn.__name__}": s
        for s in deployment_specs(ServeSettings(sources=("/sources",)))
    }
    assert set(declared) == set(specs)
    for entrypoint, spec in specs.items():
        deployment = declared[entrypoint]
        module, function = entrypoint.rsplit(".", 1)
        assert getattr(importlib.import_module(module), function) is spec.flow
        assert deployment["name"] == spec.name and deployment["work_pool"]["name"] == "ragmask"
        assert deployment["description"] == spec.description
        parameters = deployment.get("parameters", {})
        # stored verbatim
        assert not re.search(r"url|key|secret|password", json.dumps(parameters))
        # every default is valid for the flow's own settings model, and for the form the server checks
        if "settings" in parameters:
            SETTINGS_MODELS[spec.flow.name].model_validate(parameters["settings"])
            schema = parameter_schema(spec.flow.fn).model_dump_for_openapi()
            jsonschema.validate(parameters, {**schema, "required": []})
    schedules = {e: d.get("schedules", []) for e, d in declared.items()}
    assert schedules["flows.prefect.reindex.reindex_flow"][0]["cron"] == "0 2 * * *"
    # retention is turned on deliberately
    assert schedules["flows.prefect.expire.expire_flow"][0]["active"] is False


def test_serve_plans_every_operation_with_valid_defaults() -> None:
    plan = ServeSettings(
        sources=("/sources",),
        stores=StoreSettings(collection="docs"),
        reindex_cron="0 2 * * *",
        expire_cron="0 3 * * *",
        retention_days=30,
    )
    specs = {s.flow.name: s for s in deployment_specs(plan)}
    assert set(specs) == {"ingest", "reindex", "expire", "audit", "compact", "erase", "scrub"}
    # the defaults in the forms' shape: what the server validates a run's parameters against
    for spec in specs.values():
        schema = parameter_schema(spec.flow.fn).model_dump_for_openapi()
        # scrub's collections are the operator's to type
        typed = (
            {"source_collection": "raw", "target_collection": "masked"} if spec.flow.name == "scrub" else {}
        )
        parameters = spec.parameters | {"settings": spec.parameters["settings"] | typed}
        jsonschema.validate(parameters, {**schema, "required": []})
    # named by purpose, no two alike
    full_names = {spec.full_name for spec in specs.values()}
    assert "reindex/scheduled" in full_names and "erase/queued-requests" in full_names
    assert len({spec.name for spec in specs.values()}) == 6 and not any(
        n.endswith("/ragmask") for n in full_names
    )
    for name, spec in specs.items():
        if name != "scrub":
            settings = SETTINGS_MODELS[name].model_validate(spec.parameters["settings"])
            assert settings.stores.collection == "docs"
    assert specs["reindex"].cron == "0 2 * * *" and specs["reindex"].parameters["paths"] == ["/sources"]
    assert specs["expire"].parameters["settings"]["retention_days"] == 30
    with pytest.raises(SettingsError, match="needs a retention"):
        deployment_specs(ServeSettings(sources=("/sources",), expire_cron="0 3 * * *"))
    with pytest.raises(SettingsError, match="needs the source directories"):
        deployment_specs(ServeSettings(reindex_cron="0 2 * * *"))


def test_forms_refuse_what_would_do_nothing_or_harm() -> None:
    # scrub's collection is its target: a second name for it would be ignored
    with pytest.raises(ValidationError, match="a scrub writes to its target collection"):
        ScrubSettings(
            source_collection="raw", target_collection="masked", stores=StoreSettings(collection="docs")
        )
    with pytest.raises(ValidationError):
        IngestSettings(batch_documents=0)
    with pytest.raises(ValidationError):
        # presets are choices
        IngestSettings.model_validate({"policy": "lenient"})
    with pytest.raises(ValidationError):
        # unknown fields are errors
        IngestSettings.model_validate({"stores": {"colection": "typo"}})
    with pytest.raises(ValidationError):
        ExpireSettings.model_validate({"retention_days": 0})
    assert IngestSettings.model_validate({"policy": "strict"}).policy_spec == "strict"
    # the command line's --policy also takes a file: it goes to the form's policy file field
    given = IngestSettings(policy="policies/team.yaml")
    assert given.policy == "default" and given.policy_spec == str(Path("policies/team.yaml").resolve())
    with pytest.raises(ValidationError, match="fewer than 16 tokens"):
        IngestSettings(chunk_tokens=5)


def test_dockerfile_pins_the_torch_of_pyproject() -> None:
    pin = re.search(r'"torch==([\d.]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin and f'"torch=={pin.group(1)}"' in (INFRA / "Dockerfile").read_text(encoding="utf-8")


def test_flow_store_settings_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGMASK_LINEAGE_URL", "postgresql+psycopg://lineage-host/ragmask")
    monkeypatch.setenv("RAGMASK_QDRANT_URL", "http://qdrant:6333")
    monkeypatch.setenv("RAGMASK_QDRANT_API_KEY", "api-key-from-env")
    monkeypatch.delenv("RAGMASK_COLLECTION", raising=False)
    from_env = StoreSettings().resolved()
    assert from_env.lineage == "postgresql+psycopg://lineage-host/ragmask"
    assert from_env.qdrant.url == "http://qdrant:6333" and from_env.qdrant.api_key == "api-key-from-env"
    assert from_env.collection == DEFAULT_COLLECTION
    given = StoreSettings(collection="other", lineage_url="sqlite:///x.db").resolved()
    assert (given.collection, given.lineage) == ("other", "sqlite:///x.db")
    # what was given is what crosses to a flow run: the environment is read where the run starts
    assert StoreSettings().model_dump() == dict.fromkeys(
        ["collection", "data_dir", "qdrant_url", "qdrant_path", "lineage_url"], ""
    )


def test_flow_parameters_round_trip_without_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGMASK_QDRANT_API_KEY", raising=False)
    stores = StoreSettings(
        data_dir=Path("/srv/data"),
        collection="c",
        qdrant_url="http://q:6333",
        qdrant_api_key="secret-key",
        lineage_url="sqlite:///l.db",
    )
    assert "secret-key" not in stores.model_dump_json() and "secret-key" not in repr(stores)
    assert "qdrant_api_key" not in json.dumps(IngestSettings.model_json_schema())
    with pytest.raises(SettingsError, match="set RAGMASK_QDRANT_API_KEY in the environment instead"):
        # given as an option: it would not reach the run
        stores.for_flow_run()
    # the worker's own: read there
    monkeypatch.setenv("RAGMASK_QDRANT_API_KEY", "secret-key")
    sent = stores.for_flow_run()
    assert sent.qdrant_api_key == "" and sent.model_dump() == stores.model_dump()
    # the worker resolves the same settings, key from its environment
    assert sent.resolved() == stores.resolved() and sent.resolved().qdrant.api_key == "secret-key"


def test_a_url_with_a_password_is_never_a_flow_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://ragmask:s3cret-pw@db:5432/ragmask"
    monkeypatch.delenv("RAGMASK_LINEAGE_URL", raising=False)
    parameters = StoreSettings(data_dir=Path("/srv/data"), lineage_url=url)
    with pytest.raises(SettingsError, match="set RAGMASK_LINEAGE_URL in the environment instead") as refused:
        parameters.for_flow_run()
    assert "s3cret-pw" not in str(refused.value)
    # shown with the password redacted
    assert "s3cret-pw" not in json.dumps(parameters.effective())
    assert parameters.effective()["lineage_url"] == "postgresql+psycopg://ragmask:***@db:5432/ragmask"
    # the worker's own variable: left out, read there
    monkeypatch.setenv("RAGMASK_LINEAGE_URL", url)
    sent = parameters.for_flow_run()
    assert sent.lineage_url == "" and "s3cret-pw" not in sent.model_dump_json()
    assert sent.resolved().lineage == url


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


def test_the_shipped_automations_are_the_ones_serve_creates() -> None:
    from flows.prefect.automations import AUTOMATIONS, automations_yaml

    assert (INFRA / "automations.yaml").read_text(encoding="utf-8") == automations_yaml(), (
        "infra/automations.yaml is stale: python -m flows.prefect.automations > infra/automations.yaml"
    )
    shipped = load("automations.yaml")["automations"]
    assert {a["name"] for a in shipped} == {spec.name for spec in AUTOMATIONS} and len(shipped) == 5
    events = {event for a in shipped for event in a["trigger"]["expect"]}
    assert events == {"prefect.flow-run.Failed", "ragmask.run.partial"}
    watched = {
        name for a in shipped for name in a["trigger"]["match_related"].get("prefect.resource.name", [])
    }
    assert watched == {"erase", "expire", "audit", "ingest", "reindex"}


def test_automations_need_a_notification_block() -> None:
    with pytest.raises(SettingsError, match="--notify-block"):
        ServeSettings(automations=True).check()


def test_serve_without_a_retention_has_none_and_refuses_a_bad_one() -> None:
    # the command line gives an empty value for an option not given
    assert ServeSettings.model_validate({"retention_days": ""}).retention_days is None
    with pytest.raises(ValidationError, match="greater than 0"):
        ServeSettings.model_validate({"retention_days": 0})


def test_the_ingest_and_reindex_forms_require_paths_and_show_no_source_reference() -> None:
    from prefect.utilities.callables import parameter_schema

    from flows.prefect.ingest import ingest_flow, ingest_registered_flow
    from flows.prefect.reindex import reindex_flow, reindex_registered_flow

    for form, registered in ((ingest_flow, ingest_registered_flow), (reindex_flow, reindex_registered_flow)):
        schema = parameter_schema(form.fn)
        assert schema.required == ["paths"] and set(schema.properties) == {"paths", "settings"}
        # the CLI's flow: the same flow in the UI, never deployed
        assert registered.name == form.name and parameter_schema(registered.fn).required == ["source_ref"]
    served = {spec.flow for spec in deployment_specs(ServeSettings(sources=("/sources",)))}
    assert ingest_registered_flow not in served and reindex_registered_flow not in served


def test_a_form_shows_the_essentials_first_and_the_rest_under_advanced() -> None:
    from flows.prefect.reindex import reindex_flow

    schema = parameter_schema(reindex_flow.fn).model_dump_for_openapi()
    form = schema["definitions"]["ReindexSettings"]
    assert list(form["properties"]) == ["collection", "policy", "full", "advanced"]
    advanced = form["properties"]["advanced"]
    assert advanced["title"] == "Advanced" and advanced["properties"]["batch_documents"]["minimum"] == 1
    # the stores' overrides last, the collection only on top
    assert list(advanced["properties"])[-1] == "stores"
    assert "collection" not in advanced["properties"]["stores"]["properties"]
    # the form's values and the flat ones are the same settings
    flat = ReindexSettings(stores=StoreSettings(collection="hr"), batch_documents=7, full=True)
    assert ReindexSettings.model_validate(flat.form_values()) == flat
    assert flat.form_values()["collection"] == "hr" and flat.form_values()["advanced"]["batch_documents"] == 7
    # scrub's collections are its own fields: nothing lifted
    assert "collection" not in ScrubSettings.model_json_schema()["properties"]


def test_the_forms_refuse_what_the_body_refuses() -> None:
    from flows.prefect.ingest import ingest_flow
    from flows.prefect.reindex import reindex_flow

    schema = parameter_schema(ingest_flow.fn).model_dump_for_openapi()

    def form(advanced: dict[str, Any]) -> dict[str, Any]:
        return {"paths": ["/sources"], "settings": {"advanced": advanced}}

    # a chunk too small to hold context: refused by the model and by the server's schema alike
    for chunk_tokens, valid in ((0, True), (5, False), (64, True), (9000, False)):
        try:
            jsonschema.validate(form({"chunk_tokens": chunk_tokens}), schema)
            by_schema = True
        except jsonschema.ValidationError:
            by_schema = False
        try:
            IngestSettings(chunk_tokens=chunk_tokens)
            by_model = True
        except ValidationError:
            by_model = False
        assert by_schema == by_model == valid, chunk_tokens
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(form({"batch_documents": 0}), schema)
    # the server's message is in words
    with pytest.raises(jsonschema.ValidationError, match="5 is less than the minimum of 16"):
        jsonschema.validate(form({"chunk_tokens": 5}), schema)
    reindex = parameter_schema(reindex_flow.fn)
    for limit, valid in (("3", True), ("1%", True), ("0.5 %", True), ("a few", False), ("-2", False)):
        parameters = {"paths": ["/sources"], "settings": {"advanced": {"max_quarantined": limit}}}
        errors = list(
            jsonschema.Draft202012Validator(reindex.model_dump_for_openapi()).iter_errors(parameters)
        )
        assert (not errors) == valid, limit
    # scrub's collections are its own fields: its form offers no second one
    scrub = ScrubSettings.model_json_schema()["properties"]["advanced"]["properties"]["stores"]
    assert "collection" not in scrub["properties"]
