"""Names that the NER model misses but the text announces: a title, a greeting, "my name is".

The small spaCy model misses names in some contexts that it finds in others. These cues are
high-precision; document-level propagation then masks the other mentions of the same name.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from masking.normalise import TITLES
from masking.recognizers.base import RuleRecognizer

# A capitalised word, or a word of a caseless script ("Dear 知実,"): names in an English text.
NAME_WORD = r"(?:\p{Lu}[\p{Ll}'’\-]+(?:-\p{Lu}[\p{Ll}'’]+)?|\p{Lo}[\p{Lo}\p{M}]{0,11})"
INITIAL = r"\p{Lu}\."
PARTICLE = r"(?:van|von|de|der|den|da|di|del|le|la|bin|al|ten|ter|zu|dos|das)"
# "van der Plas"
FULL_NAME = rf"{NAME_WORD}(?:[ \t]+(?:{INITIAL}[ \t]+)?(?:{PARTICLE}[ \t]+){{0,2}}{NAME_WORD}){{0,2}}"
# "Her maiden name is Vale", "What is your last name? Corrigan", "surname: Lindqvist"
NAME_FIELD = r"(?i:(?:first|last|maiden|middle|family|given|full|birth)[ \t]+name|surname|forename)"
_TITLE_ALTERNATION = "|".join(sorted((regex.escape(t) for t in TITLES), key=len, reverse=True))

TITLED = regex.compile(rf"(?<!\p{{L}})(?i:{_TITLE_ALTERNATION})\.?[ \t]+(?P<name>{FULL_NAME})")
CUES = regex.compile(
    rf"""(?<!\p{{L}})(?:
        (?i:my[ \t]+name[ \t]+is|my[ \t]+name's|i[ \t]+am[ \t]+called|call[ \t]+me|name[ \t]*:|patient[ \t]*:
          |signed[ \t]*,?|dear|hi|hello|call|ask|tell|thank|regards[ \t]*,|sincerely[ \t]*,|thanks[ \t]*,|cheers[ \t]*,
          |attn[ \t]*:?|c/o|contact[ \t]*:|from[ \t]*:|to[ \t]*:|cc[ \t]*:
          |my[ \t]+(?:kid|son|daughter|child|wife|husband|partner|spouse|mother|father|mom|mum|dad|brother
            |sister|friend|colleague|boss|grandmother|grandfather|grandson|granddaughter|uncle|aunt|cousin
            |nephew|niece|fianc[eé]e?|boyfriend|girlfriend)
          |{NAME_FIELD}(?:[ \t]+is|[ \t]*:|[ \t]*\?))[ \t\n]+
      )(?P<name>{FULL_NAME})""",
    regex.VERBOSE,
)
# Strong cues also introduce lower-case names in chat-style text ("my name is vitoria").
LOWER_CUE = regex.compile(
    rf"(?i:my[ \t]+name[ \t]+is|call[ \t]+me|i[ \t]+am[ \t]+called|{NAME_FIELD}[ \t]+is)[ \t]+"
    r"(?P<name>\p{Ll}[\p{Ll}'\-]{2,})(?![\p{L}])"
)
SPEECH_VERB = r"(?:said|says|shouted|asked|replied|told|wrote|whispered|yelled|answered)"
# Two patterns, not one alternation: "Ann shouted at Tom" holds a speaker and an addressee.
SPEAKER_BEFORE = regex.compile(rf"\b{SPEECH_VERB}(?:[ \t]+(?:at|to))?[ \t]+(?P<name>{FULL_NAME})")
SPEAKER_AFTER = regex.compile(rf"(?P<name>{FULL_NAME})[ \t]+{SPEECH_VERB}\b")
# "Oliver lives on 14 Ashdown Road": the subject of a sentence about where someone lives.
RESIDENT = regex.compile(
    rf"(?P<name>{FULL_NAME})[ \t]+(?:lives|lived|resides|resided|stays)[ \t]+(?:at|on|in)\b"
)
# "said Erle to Maurice": the addressee too.
SPEECH_TO = regex.compile(rf"\b{SPEECH_VERB}[ \t]+{FULL_NAME}[ \t]+(?:to|at)[ \t]+(?P<name>{FULL_NAME})")
# Dialogue and chat transcripts: "Halldór: What a wife." at the start of a line.
SPEAKER = regex.compile(
    rf"(?m)^[ \t>]*(?P<name>{NAME_WORD}(?:[ \t]+{NAME_WORD})?)[ \t]*:(?=[ \t]*[\"\p{{L}}])"
)
# "Miki C Kristiansen": a first name, a middle initial, a surname.
WITH_INITIAL = regex.compile(
    rf"(?<![\p{{L}}])(?P<name>{NAME_WORD}[ \t]+\p{{Lu}}\.?[ \t]+{NAME_WORD})(?![\p{{L}}])"
)
# Words a cue may be followed by that are not names ("Dear Sir", "Hi All", "Name: Unknown").
NOT_NAMES = frozenset(
    {
        "sir", "madam", "all", "team", "there", "everyone", "customer", "colleagues", "friends", "unknown",
        "n/a", "none", "the", "this", "that", "please", "thank", "thanks", "support", "admin", "user", "us",
        "now", "today", "our", "your", "center", "centre", "back", "me", "him", "her", "them", "you",
        "he", "she", "they", "it", "we", "i", "who", "someone", "nobody", "everybody", "anyone",
    }
)  # fmt: skip


# Line labels that look like a speaker ("Note: ...", "Subject: ...") but are not names.
NOT_SPEAKERS = frozenset(
    """
    address answer attention bcc cc comment comments company contact date description desk details
    dob email error example fax fwd hint important info information input location message mobile
    name note notes office output phone position question re reason reference regards remark reply
    result role ps source status step subject summary tel telephone tip title to topic update user
    warning website bot agent assistant system customer client support admin from sent q a present
    absent apologies attendees action agenda minutes decision owner due next todo done background
    """.split()
)


class PersonCueRecognizer(RuleRecognizer):
    ENTITY = "PERSON"

    PATTERNS: tuple[tuple[regex.Pattern[str], float], ...] = (
        (TITLED, 0.7),
        (CUES, 0.6),
        (LOWER_CUE, 0.6),
        (SPEAKER_BEFORE, 0.6),
        (SPEAKER_AFTER, 0.6),
        (SPEECH_TO, 0.6),
        (RESIDENT, 0.6),
        (SPEAKER, 0.55),
        (WITH_INITIAL, 0.55),
    )

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for pattern, score in self.PATTERNS:
            for match in pattern.finditer(text):
                words = match.group("name").casefold().split()
                if words[0] in NOT_NAMES or (pattern is SPEAKER and words[0] in NOT_SPEAKERS):
                    continue
                yield match.start("name"), match.end("name"), score
