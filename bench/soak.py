"""Soak: ingest, edit and re-index, erase and compact in a loop, with random SIGKILLs, checking after
every step that Qdrant and the lineage agree and that nothing personal is left.

Each step is a real `ragmask` command in its own process (as an operator or a scheduler runs it). With
probability ``--kill`` the process is killed with SIGKILL at a random moment; the step is then run again
to completion, as an operator would after a crash. After every completed step:
- agreement: the collection's point ids are exactly the lineage's committed chunks, and no pending or
  superseded version is left;
- nothing left: no e-mail or phone number of the corpus in any byte of the data directory (names are
  counted too and reported: a missed name is a detection miss, issue 13's subject, not a protocol one);
- erasure holds: no lineage row of any version links a chunk to an erased subject, and the receipt
  chain verifies (signatures and exported head).
Bounded by ``--rounds`` and ``--minutes``; prints one line per step and a summary (``--json``: one object).

    .venv/bin/python bench/soak.py [--docs 300] [--rounds 4] [--kill 0.5] [--minutes 40] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from faker import Faker  # noqa: E402

from flows.operations.erase import verify_receipts  # noqa: E402
from flows.settings import ReceiptsSettings, StoreSettings  # noqa: E402
from indexers.document_catalog import DocumentCatalog  # noqa: E402
from indexers.erasure_store import ErasureStore  # noqa: E402
from indexers.lineage import LineageStore  # noqa: E402
from indexers.qdrant_store import VectorStore, close_local_clients  # noqa: E402
from indexers.version_ledger import VersionLedger  # noqa: E402
from masking import MaskingKeys  # noqa: E402
from masking.fingerprints import subject_fingerprints  # noqa: E402

SECRET = "ragmask-soak-secret-not-for-production"
# validated formats: any left is a protocol failure
CHECKED_TYPES = ("email", "phone")


@dataclass
class Person:
    name: str
    email: str
    phone: str


@dataclass
class Soak:
    root: Path
    rng: random.Random
    fake: Faker
    kill_probability: float
    # file name -> the person it names
    people: dict[str, Person] = field(default_factory=dict)
    erased: list[Person] = field(default_factory=list)
    kills: Counter[str] = field(default_factory=Counter)
    steps: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    names_left: int = 0
    durations: dict[str, list[float]] = field(default_factory=dict)

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def env(self) -> dict[str, str]:
        return os.environ | {
            "RAGMASK_SECRET_KEY": SECRET,
            "PREFECT_API_URL": "",
            "PYTHONPATH": str(REPO),
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_STATE_HOME": str(self.root / "state"),
        }

    # --- the corpus ---------------------------------------------------------------------------------

    def person(self) -> Person:
        return Person(
            self.fake.name(),
            f"{self.fake.user_name()}.{self.rng.randrange(10**6)}@example.com",
            f"212-555-{self.rng.randrange(10**4):04d}",
        )

    def write(self, name: str, person: Person) -> None:
        body = (
            f"{self.fake.paragraph(nb_sentences=4)}\n\n{person.name} wrote from {person.email} and asked "
            f"to be called on {person.phone}. {self.fake.paragraph(nb_sentences=3)}\n"
        )
        (self.corpus / name).write_text(body, encoding="utf-8")
        self.people[name] = person

    def create(self, documents: int) -> None:
        self.corpus.mkdir(parents=True)
        for number in range(documents):
            self.write(f"doc-{number:04d}.txt", self.person())

    def edit(self) -> list[str]:
        """Rewrite a tenth of the files (a new person in each), add a few, delete a few; returns deleted."""
        names = sorted(self.people)
        for name in self.rng.sample(names, max(1, len(names) // 10)):
            self.write(name, self.person())
        for _ in range(3):
            self.write(f"doc-{len(names) + self.rng.randrange(10**6):07d}.txt", self.person())
        deleted = self.rng.sample(sorted(self.people), 2)
        for name in deleted:
            (self.corpus / name).unlink()
            del self.people[name]
        return deleted

    # --- steps --------------------------------------------------------------------------------------

    def command(self, label: str, *args: str) -> None:
        """Run ``ragmask args``; maybe SIGKILL it at a random moment, then run it again to completion."""
        argv = [sys.executable, "-m", "flows.cli", *args, "--data-dir", str(self.data)]
        self.steps[label] += 1
        if self.rng.random() < self.kill_probability:
            expected = sum(self.durations.get(label, [20.0])) / len(self.durations.get(label, [20.0]))
            process = subprocess.Popen(
                argv, env=self.env(), cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                process.wait(timeout=self.rng.uniform(0.5, max(1.0, expected)))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                self.kills[label] += 1
        started = time.perf_counter()
        done = subprocess.run(
            argv, env=self.env(), cwd=self.root, capture_output=True, text=True, check=False
        )
        self.durations.setdefault(label, []).append(time.perf_counter() - started)
        if done.returncode not in (0, 3):
            self.violations.append(
                f"{label}: exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
            )

    def erase_someone(self) -> None:
        name = self.rng.choice(sorted(self.people))
        person = self.people[name]
        self.command(
            "erase",
            "erase",
            "--email",
            person.email,
            "--name",
            person.name,
            "--mode",
            self.rng.choice(["redact", "delete"]),
        )
        self.erased.append(person)

    # --- checks -------------------------------------------------------------------------------------

    def check(self, after: str) -> None:
        stores = StoreSettings(data_dir=self.data).resolved()
        lineage = LineageStore(stores.lineage)
        try:
            store = VectorStore(stores.qdrant, stores.collection)
            points = {str(r.id) for r in store.scroll(with_payload=False)}
            committed = DocumentCatalog(lineage).committed_point_ids(stores.collection)
            if points != committed:
                self.violations.append(
                    f"after {after}: {len(points - committed)} points without a committed row, "
                    f"{len(committed - points)} committed rows without a point"
                )
            if VersionLedger(lineage).unfinished(stores.collection):
                self.violations.append(f"after {after}: unfinished versions left")
            keys = MaskingKeys(SECRET.encode())
            erasures = ErasureStore(lineage)
            for person in self.erased:
                subjects = subject_fingerprints(keys.fingerprint_key, "EMAIL_ADDRESS", person.email)
                if erasures.subject_matches(stores.collection, subjects, committed_only=False):
                    self.violations.append(f"after {after}: an erased subject is still linked")
        finally:
            lineage.close()
            close_local_clients()
        check = verify_receipts(ReceiptsSettings(stores=stores))
        if not check.valid:
            self.violations.append(f"after {after}: receipts: {check.reason}")
        self.scan(after)

    def scan(self, after: str) -> None:
        everyone = list(self.people.values()) + self.erased
        blobs = [p.read_bytes().lower() for p in self.data.rglob("*") if p.is_file()]
        for person in everyone:
            for kind in CHECKED_TYPES:
                value = getattr(person, kind).lower().encode()
                if any(value in blob for blob in blobs):
                    self.violations.append(f"after {after}: a {kind} value is in the data directory")
        self.names_left = sum(any(p.name.lower().encode() in blob for blob in blobs) for p in everyone)


def run(documents: int, rounds: int, kill: float, minutes: float, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ragmask-soak-") as folder:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        soak = Soak(Path(folder), random.Random(seed), fake, kill)
        # this process checks the stores with the same keys and locations
        os.environ.update(soak.env())
        soak.create(documents)
        completed = 0
        for round_number in range(1, rounds + 1):
            if time.perf_counter() - started > minutes * 60:
                break
            soak.command("ingest", "ingest", str(soak.corpus))
            soak.check("ingest")
            for name in soak.edit():
                soak.command("erase-document", "erase", "--document", str(soak.corpus / name))
            soak.command("reindex", "ingest", str(soak.corpus))
            soak.check("edit + re-index")
            soak.erase_someone()
            soak.check("erase")
            soak.command("compact", "compact")
            soak.check("compact")
            completed = round_number
            print(
                f"soak: round {round_number}: {sum(soak.steps.values())} steps, {sum(soak.kills.values())} "
                f"killed, {len(soak.violations)} violations, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    return {
        "documents": documents,
        "rounds": completed,
        "steps": dict(soak.steps),
        "killed": dict(soak.kills),
        "violations": soak.violations,
        "names_left_by_detection": soak.names_left,
        "median_step_s": {k: round(sorted(v)[len(v) // 2], 1) for k, v in soak.durations.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--kill", type=float, default=0.5, help="probability that a step is killed")
    parser.add_argument("--minutes", type=float, default=40.0, help="no new round after this")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.docs, args.rounds, args.kill, args.minutes, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    sys.exit(1 if result["violations"] else 0)


if __name__ == "__main__":
    main()
