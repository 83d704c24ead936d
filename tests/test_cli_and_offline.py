"""The CLI contract for `ragmask mask`, and the guarantee that nothing touches the network."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.cli import cli
from indexers.sources import doc_id_for
from masking import MaskingKeys
from tests.conftest import REPO
from tests.scripts import run_python

CORPUS = REPO / "examples" / "corpus"
GOLD: dict[str, list[str]] = json.loads((REPO / "examples" / "corpus_gold.json").read_text(encoding="utf-8"))


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_mask_json_is_one_object_with_the_documented_shape_and_no_gold_value(keys: MaskingKeys) -> None:
    code, out, err = run_cli("mask", str(CORPUS), "--json")
    assert code == 0
    payload = json.loads(out)
    assert list(payload) == ["documents"]
    documents = payload["documents"]
    # the JSONL file holds three records
    assert len(documents) == len(GOLD) - 1 + 3
    for doc in documents:
        assert set(doc) == {"path", "doc_id", "masked_text", "report"}
        uri = Path(doc["path"]).relative_to(CORPUS).as_posix()
        if not uri.endswith(".jsonl"):
            assert doc["doc_id"] == doc_id_for(keys.source_key, uri)
        assert doc["report"]["status"] == "masked"
    for value in (v for values in GOLD.values() for v in values):
        assert value not in out and value not in err


def test_doc_ids_and_tokens_are_stable_across_runs() -> None:
    first = json.loads(run_cli("mask", str(CORPUS), "--json")[1])
    second = json.loads(run_cli("mask", str(CORPUS), "--json")[1])
    assert [d["masked_text"] for d in first["documents"]] == [d["masked_text"] for d in second["documents"]]


def test_bad_files_are_skipped_with_one_line_and_the_rest_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Write to jane.porter@example.com today.")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 10)
    (tmp_path / "latin1.md").write_bytes("Caf\xe9 M\xfcller".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("  \n")
    code, out, err = run_cli("mask", str(tmp_path), "--json")
    # done, but some documents failed
    assert code == 3
    assert err.strip().splitlines()[-1] == "ragmask: 3 of 4 documents could not be masked"
    statuses = {Path(d["path"]).name: d["report"]["status"] for d in json.loads(out)["documents"]}
    assert statuses == {
        "good.txt": "masked",
        "binary.txt": "failed",
        "latin1.md": "failed",
        "empty.txt": "failed",
    }
    skipped = [line for line in err.splitlines() if line.startswith("ragmask: skipped:")]
    assert (
        len(skipped) == 3 and "not valid UTF-8" in err and "binary content" in err and "empty document" in err
    )


def test_human_output_and_errors(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Call Jane Porter on 212-555-0143.")
    code, out, _ = run_cli("mask", str(tmp_path / "a.txt"))
    assert code == 0 and "<PERSON_" in out and "212-555-0143" not in out and "-- entities:" in out
    assert run_cli("mask")[0] == 2
    code, _, err = run_cli("mask", str(tmp_path), "--policy", "paranoid")
    assert code == 1 and err.strip().count("\n") == 0 and err.startswith("ragmask: error: policy paranoid")
    code, _, err = run_cli("mask", str(tmp_path), "--spacy-model", "en_core_web_nonexistent")
    assert code == 1 and "is not installed" in err and "Traceback" not in err
    code, _, err = run_cli("mask", str(tmp_path / "missing"))
    assert code == 1 and "no such file or directory" in err


def test_first_run_creates_a_private_key_file_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAGMASK_SECRET_KEY")
    key_file = tmp_path / "keys" / "secret.key"
    (tmp_path / "a.txt").write_text("Call Jane Porter.")
    env = {**os.environ, "RAGMASK_KEY_FILE": str(key_file)}
    done = run_python(["-m", "flows.cli", "mask", str(tmp_path / "a.txt")], env)
    assert done.returncode == 0, done.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert "created a new masking key" in done.stderr


NO_NETWORK = textwrap.dedent(
    """
    import socket, sys

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    from masking import Masker, MaskingKeys
    masker = Masker(MaskingKeys(b"no-network-test-key-0123456789"))
    result = masker.mask("d", "Mail jane.porter@example.co.uk or visit https://example.org, Jane Porter.")
    assert "jane.porter@example.co.uk" not in result.masked_text, result.report
    assert result.report.entity_counts.get("EMAIL_ADDRESS") == 1
    print("OK")
    """
)


def test_masking_never_touches_the_network() -> None:
    """A fresh interpreter where any socket connect or DNS lookup fails: model load, tldextract's
    suffix list and detection must all work (tldextract's default would try to download)."""
    done = run_python(["-c", NO_NETWORK])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "OK"


def test_erase_usage_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    nothing = runner.invoke(cli, ["erase", "--data-dir", str(tmp_path)])
    assert nothing.exit_code == 2
    unknown = runner.invoke(
        cli, ["erase", "--document", "doc_000000000000000000000000", "--data-dir", str(tmp_path)]
    )
    assert unknown.exit_code == 1
    assert unknown.output.strip().count("\n") == 0 and "no document" in unknown.output
