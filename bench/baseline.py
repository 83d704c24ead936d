"""Presidio as a user sets it up today: its default recognizers, no threshold, no propagation.

Shared by the accuracy and throughput benchmarks, so both compare ragmask with the same baseline.
The only change to Presidio's defaults is the e-mail recognizer's domain check, which reads
tldextract's bundled suffix list instead of downloading it (this machine has no internet; the
results are the same).
"""

from __future__ import annotations

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from masking.recognizers.email import OfflineEmailRecognizer


def presidio_default_analyzer(nlp_engine: NlpEngine) -> AnalyzerEngine:
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    registry.recognizers = [
        OfflineEmailRecognizer() if type(r) is EmailRecognizer else r for r in registry.recognizers
    ]
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])
