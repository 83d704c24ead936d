"""A process that only masks imports neither PyTorch nor transformers when its spaCy model uses neither.

spaCy's thinc imports torch whenever it is installed, and Presidio's NLP engines import transformers
(for a Hugging Face NER pipe ragmask does not use). A masking worker with a CNN model
(en_core_web_sm/md/lg) uses neither, yet they take most of its start-up time and memory. Marking both as absent in ``sys.modules``
(Python's documented way to make an import fail) lets thinc and Presidio take their own paths for a
machine without them. A transformer pipeline (en_core_web_trf) or a model whose configuration cannot be
read keeps both: the check errs on the side of importing.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

FRAMEWORKS = ("torch", "transformers")
# spacy-transformers, curated, TorchBiLSTM
_USES_TORCH = re.compile(r"torch|transformer", re.IGNORECASE)


def model_config_text(model: str) -> str | None:
    """The installed spaCy model's config.cfg (a package name or a model directory), None if not found."""
    path = Path(model)
    if not path.is_dir():
        try:
            spec = importlib.util.find_spec(model)
        except (ImportError, ValueError):
            # not a module name
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations)))
    for candidate in [path / "config.cfg", *sorted(path.glob("*/config.cfg"))]:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def model_needs_torch(model: str) -> bool:
    """Whether the spaCy model may use PyTorch (True where its configuration cannot be read)."""
    config = model_config_text(model)
    return config is None or _USES_TORCH.search(config) is not None


def keep_frameworks_out(model: str) -> bool:
    """Make torch and transformers unimportable in this process, if ``model`` needs neither and neither is
    imported yet; returns whether it did. Call it first thing in a process that only masks."""
    if any(sys.modules.get(name) is not None for name in FRAMEWORKS) or model_needs_torch(model):
        return False
    for name in FRAMEWORKS:
        sys.modules[name] = None  # type: ignore[assignment]  # None: "import raises ImportError"
    return True
