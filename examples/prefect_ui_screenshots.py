"""Screenshots of the Prefect UI for the README, from a real server: ``ragmask serve`` on the synthetic
corpus, a re-index triggered through the API, then headless Chromium on the run form and the artifacts.

    .venv/bin/python examples/prefect_ui_screenshots.py [--out examples/screenshots]

Needs Debian's ``chromium`` (``apt-get install chromium``). Everything runs on loopback in a temporary
directory; the corpus is synthetic.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.prefect_server import prefect_server, ragmask_serve

CORPUS = Path(__file__).resolve().parent / "corpus"


def screenshot(url: str, out: Path, height: int = 1400) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise SystemExit("chromium not found: apt-get install chromium")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size=1440,{height}",
            "--virtual-time-budget=20000",
            f"--screenshot={out}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(CORPUS, root / "sources")
        with prefect_server(root / "prefect") as env:
            ui = env["PREFECT_API_URL"].removesuffix("/api")
            api = httpx.Client(base_url=env["PREFECT_API_URL"], timeout=30)
            serve_args = [
                "--source",
                str(root / "sources"),
                "--data-dir",
                str(root / "data"),
                "--reindex-cron",
                "0 2 * * *",
                "--expire-cron",
                "30 3 * * *",
                "--retention-days",
                "365",
            ]
            with ragmask_serve(serve_args, env, root / "serve.log"):
                deployments: dict[str, str] = {}
                while len(deployments) < 7:
                    time.sleep(2)
                    flows = {f["id"]: f["name"] for f in api.post("/flows/filter", json={}).json()}
                    deployments = {
                        flows[d["flow_id"]]: d["id"] for d in api.post("/deployments/filter", json={}).json()
                    }
                created = api.post(
                    f"/deployments/{deployments['reindex']}/create_flow_run",
                    json={"parameters": {"settings": {"advanced": {"batch_documents": 4}}}},
                )
                if created.status_code != 201:
                    raise SystemExit(f"the re-index run was refused: {created.text}")
                run = created.json()
                while api.get(f"/flow_runs/{run['id']}").json()["state_type"] not in {
                    "COMPLETED",
                    "FAILED",
                    "CRASHED",
                }:
                    time.sleep(3)
                screenshot(
                    f"{ui}/deployments/deployment/{deployments['reindex']}/run",
                    args.out / "reindex-form.png",
                    2000,
                )
                screenshot(f"{ui}/deployments", args.out / "deployments.png", 900)
                screenshot(f"{ui}/runs/flow-run/{run['id']}", args.out / "reindex-run.png", 1100)
                artifacts = api.post(
                    "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}
                ).json()
                reports = next(a for a in artifacts if a["key"].startswith("reindex-reports-"))
                screenshot(f"{ui}/artifacts/artifact/{reports['id']}", args.out / "reindex-reports.png", 1100)


if __name__ == "__main__":
    main()
