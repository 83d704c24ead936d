"""Names the NER model found but mislabelled: a span it calls an organisation or a place that starts
with a known given name is a person.

The small spaCy model often finds a name and gives it the wrong label, an organisation or a place:
"Scott is a very patient colleague", "Why is Rebecca so quiet today?". Presidio
drops those labels, so the name stays raw. Two detectors agreeing (the model says "a proper name here",
the census list says "this is a given name") corroborate a person; neither alone is enough.

Guards: a span holding a company word ("Scott Holdings") is an organisation; a one-word span after
"in", "at", "from", ... ("lives in Florence"), or a one-word place after "to" ("moved to Florence"), is
a place; a one-word span that is also a common English
word ("Hope", "May", "Will") needs a second word.
"""

from __future__ import annotations

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from masking.names.lists import common_given_names as given_names
from masking.recognizers.addressee import ORGANISATION_WORDS

MISLABELLED = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Before a one-word span these say "a place" whatever the label; "to" and "of" only with a place label.
PLACE_PREPOSITIONS = frozenset(
    "in at from near into towards toward via across around outside inside within".split()
)
PLACE_ONLY_WITH_PLACE_LABEL = frozenset({"to", "of"})
MAX_NAME_TOKENS = 3
# Given names that are also everyday English words: as one word they prove nothing.
COMMON_WORDS = frozenset(
    """
    amber angel april art autumn bill bob brook candy chance charity cherry christian cliff crystal dale
    dawn destiny don faith frank gay ginger glen grace guy hazel heather holly honey hope iris ivy jack
    jasmine joy june king lane lily long love major mark may olive page pat pearl penny price ray rich
    river rod rose royal ruby sage sky star sue summer sunny van violet wade will young
    """.split()
)


class GivenNameRecognizer(LocalRecognizer):
    """A span the NER model labels ORG, GPE, LOC, FAC or NORP that starts with a given name, as PERSON.

    Example: in "Why is Rebecca so quiet today?" spaCy mislabels "Rebecca"; this yields PERSON for it.
    """

    ENTITY = "PERSON"
    SCORE = 0.6

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], supported_language="en", name=type(self).__name__)

    def load(self) -> None:
        given_names()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        doc = getattr(nlp_artifacts, "tokens", None)
        if self.ENTITY not in entities or doc is None:
            return []
        names = given_names()
        results: list[RecognizerResult] = []
        for ent in doc.ents:
            words = [token.text for token in ent]
            if (
                ent.label_ not in MISLABELLED
                or len(words) > MAX_NAME_TOKENS
                or not all(word[:1].isupper() for word in words)
                or words[0].casefold() not in names
                or any(word.casefold().strip(".,") in ORGANISATION_WORDS for word in words)
            ):
                continue
            if len(words) == 1:
                previous = doc[ent.start - 1].text.casefold() if ent.start > 0 else ""
                if (
                    words[0].casefold() in COMMON_WORDS
                    or previous in PLACE_PREPOSITIONS
                    or (ent.label_ in PLACE_LABELS and previous in PLACE_ONLY_WITH_PLACE_LABEL)
                ):
                    continue
            results.append(
                RecognizerResult(
                    entity_type=self.ENTITY,
                    start=ent.start_char,
                    end=ent.end_char,
                    score=self.SCORE,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
