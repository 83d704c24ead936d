"""The Prefect ``audit`` flow: scan a collection for unmasked personal data, with artifacts.

Artifacts and the result hold entity types, payload paths and point ids, never a value. A scheduled
audit that finds something fails its run (``fail_on_findings``, the default), after its artifacts are
written, so an alert on failed runs catches it; the CLI asks for the counts instead and exits 1 itself.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from flows.operations.audit import run_audit
from flows.prefect.artifacts import artifact_key
from flows.prefect.shell import operation_run, ragmask_flow, summary_artifact
from flows.settings import AuditSettings
from masking.errors import RagmaskError


class SuspectedValuesError(RagmaskError):
    """The audit ran and found suspected unmasked values (counts only)."""


def audit_markdown(report: dict[str, Any]) -> str:
    if report["suspected"]:
        verdict = f"**{report['suspected']} suspected values** in {len(report['point_ids'])} points"
    else:
        verdict = "**clean**"
    return (
        f"# ragmask audit of `{report['collection']}`\n\n{report['points_scanned']} points scanned: {verdict}; "
        f"{report.get('accepted_findings', 0)} findings accepted as reviewed false positives passed over "
        "(listed in the findings table).\n"
    )


@ragmask_flow("audit")
def audit_flow(settings: AuditSettings = AuditSettings()) -> dict[str, Any]:
    """Scan every payload of a collection (nested strings and JSON-in-strings included) with the masker's
    detectors and the leak check; returns `ragmask audit --json`. Read-only: it takes no write slot.

    Args:
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    logger = get_run_logger()
    with operation_run("audit", settings):
        report = run_audit(
            settings.stores.resolved(),
            payload_format=settings.payload_format,
            policy=settings.policy_spec,
            spacy_model=settings.spacy_model,
            workers=settings.workers,
            progress=lambda n: logger.info("%d points scanned", n),
        ).to_dict()
    collection = report["collection"]
    summary_artifact(audit_markdown(report), "audit-summary", collection, "audit summary")
    rows = [{"kind": "type", "name": k, "count": n} for k, n in report["by_type"].items()]
    rows += [{"kind": "payload path", "name": k, "count": n} for k, n in report["by_path"].items()]
    rows += [
        {"kind": f"accepted {f['type']} {f['fingerprint']}", "name": f["path"], "count": 1}
        for f in report.get("accepted", [])
    ]
    create_table_artifact(
        rows or [{"kind": "-", "name": "(nothing suspected)", "count": 0}],
        key=artifact_key("audit-findings", collection),
        description="suspected values by type and by payload path",
    )
    if report["suspected"] and settings.fail_on_findings:
        raise SuspectedValuesError(
            f"{report['suspected']} suspected values in {len(report['point_ids'])} points"
        )
    return report | {"settings": settings.effective()}
