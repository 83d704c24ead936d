"""What a person's name looks like: name lists, the shape of a name in any script, and the vocabulary
(roles, form words, common words) that is not a name."""

from masking.names.evidence import NameEvidence, WordKind, name_evidence, word_kind
from masking.names.lists import common_words, fold, given_names, surnames
from masking.names.shape import NAME_PHRASE, NAME_WORD, name_words
from masking.names.vocabulary import is_role_word

__all__ = [
    "NAME_PHRASE",
    "NAME_WORD",
    "NameEvidence",
    "WordKind",
    "common_words",
    "fold",
    "given_names",
    "is_role_word",
    "name_evidence",
    "name_words",
    "surnames",
    "word_kind",
]
