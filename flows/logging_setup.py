"""Process-wide logging for the CLI: everything to stderr, and third-party loggers kept quiet.

Presidio logs analysis details at DEBUG/INFO that can include text; it is capped at ERROR here so
no document content can reach a log, whatever level the user asks for.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

CAPPED_LOGGERS = (
    "presidio-analyzer", "presidio_analyzer", "spacy", "tldextract", "filelock", "urllib3", "alembic", "httpx",
    "transformers", "sentence_transformers", "huggingface_hub",
)  # fmt: skip


def configure_logging(level: str | None = None) -> None:
    level_name = (level or os.environ.get("RAGMASK_LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(
        stream=sys.stderr, level=level_name, format="ragmask: %(levelname)s: %(message)s", force=True
    )
    for name in CAPPED_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # model loading bars are noise on stderr
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore", module="spacy")
    warnings.filterwarnings("ignore", category=UserWarning, module="thinc")
