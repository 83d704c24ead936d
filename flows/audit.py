"""The Prefect ``audit`` flow: scan a collection for unmasked personal data, with artifacts.

Artifacts and the result hold entity types, payload paths and point ids, never a value. A scheduled
audit that finds something fails its run (``fail_on_findings``, the default), after its artifacts are
written, so an alert on failed runs catches it; the CLI asks for the counts instead and exits 1 itself.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.auditing import run_audit
from flows.flow_runs import run_name
from flows.process import harden_process
from flows.settings import StoreSettings
from indexers.payload_formats import FormatChoice
from masking import MaskingError

harden_process()  # a worker imports this module before it runs the flow


class AuditFailedError(MaskingError):
    """The audit could not run; the message names the exception type only."""


class SuspectedValuesError(MaskingError):
    """The audit ran and found suspected unmasked values (counts only)."""


def audit_markdown(report: dict[str, Any]) -> str:
    verdict = "**clean**" if not report["suspected"] else f"**{report['suspected']} suspected values**"
    return (
        f"# ragmask audit of `{report['collection']}`\n\n{report['points_scanned']} points scanned: {verdict}"
        f" in {len(report['point_ids'])} points.\n"
    )


@flow(name="audit", flow_run_name=run_name("audit"), persist_result=False)
def audit_flow(
    collection: str | None = None, data_dir: str | None = None, qdrant_url: str | None = None,
    qdrant_path: str | None = None, policy: str | None = None, fail_on_findings: bool = True,
    payload_format: FormatChoice = "auto",
) -> dict[str, Any]:  # fmt: skip
    """Scan every payload of a collection (nested strings and JSON-in-strings included) with the masker's
    detectors and the leak check; returns the counts of `ragmask audit --json`. ``payload_format``: the
    collection's layout (auto: detected), whose bookkeeping strings (type names, ids) are passed over."""
    stores = StoreSettings.from_env(data_dir=data_dir, collection=collection, qdrant_url=qdrant_url,
                                    qdrant_path=qdrant_path)  # fmt: skip
    logger = get_run_logger()
    try:
        report = run_audit(stores, payload_format=payload_format, policy=policy,
                           progress=lambda n: logger.info("%d points scanned", n)).to_dict()  # fmt: skip
    except Exception as error:  # Prefect stores messages in states, logs and events
        raise AuditFailedError(f"audit failed: {type(error).__name__}") from None
    create_markdown_artifact(audit_markdown(report), key="audit-summary", description="audit summary")
    rows = [{"kind": "type", "name": k, "count": n} for k, n in report["by_type"].items()]
    rows += [{"kind": "payload path", "name": k, "count": n} for k, n in report["by_path"].items()]
    create_table_artifact(rows or [{"kind": "-", "name": "(nothing suspected)", "count": 0}],
                          key="audit-findings", description="suspected values by type and by payload path")  # fmt: skip
    if report["suspected"] and fail_on_findings:
        raise SuspectedValuesError(
            f"{report['suspected']} suspected values in {len(report['point_ids'])} points"
        )
    return report
