"""Labelled fields fail closed: a value after a label that names its type is masked by that type, even
when no recognizer knows its format.

Records, forms, minutes and tickets say what a value is: "Home address: Kerkbaan 12, Dorpsveld",
"**Manager:** Birte Friis", "Apologies: Amber Mcneil", "my home address is ...". A Dutch street layout
or a name the NER model misses after a label would otherwise stay raw. Labels are matched at the start
of a line (plain or markdown bold, quoted replies too) or as "my <label> is". A label's value runs to
the end of its line or to a run of spaces before the next label. Postcodes, SSNs, IBANs and e-mail
addresses after their labels are masked here whatever their layout; phones and account, employee and
record numbers after theirs are found by phone.py and identifiers.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from masking.recognizers.base import RuleRecognizer
from masking.recognizers.person import FULL_NAME, NOT_NAMES
from masking.spans import NOT_A_PERSON

VALUE_END = r"(?=[ \t]{2,}|[ \t]*$)"
LINE_START = r"(?m)^[ \t>]*(?:\*\*)?[ \t]*"
AFTER_LABEL = r"[ \t]*(?:\*\*)?[ \t]*:[ \t]*(?:\*\*)?[ \t]*"
# Later labels on the same line end a value too ("Patient: Ann Lee   MRN: 123").
INLINE_LABEL = regex.compile(r"[ \t]+\p{L}[\p{L} ]{1,24}:[ \t]")

PERSON_LABELS = (
    r"(?i:(?:full[ \t]+)?name|patient|customer|client|employee|manager|supervisor|chair(?:person|man|woman)?"
    r"|secretary|treasurer|attendees?|apologies|present|absent|agent|attending|physician|doctor|nurse"
    r"|(?:emergency[ \t]+)?contact|next[ \t]+of[ \t]+kin|guardian|from|to|cc|signed|owner|reporter|assignee"
    r"|author|employee[ \t]+name|account[ \t]+holder|beneficiary)"
)
ADDRESS_LABELS = (
    r"(?i:(?:home|street|postal|mailing|residential|billing|shipping|delivery|permanent|current)?[ \t]*address"
    r"|residence|domicile|lives[ \t]+at)"
)
PERSON_FIELD = regex.compile(rf"{LINE_START}(?:{PERSON_LABELS}){AFTER_LABEL}(?P<value>[^\n]*?){VALUE_END}")
ADDRESS_FIELD = regex.compile(rf"{LINE_START}(?:{ADDRESS_LABELS}){AFTER_LABEL}(?P<value>[^\n]*?){VALUE_END}")
# "my home address is Kerkbaan 12, 1234 AB Dorpsveld.", "lives at ...": to the end of the sentence,
# a full stop that does not close a street abbreviation ("ul. Harcerska", "Apt. 4").
STREET_ABBREVIATION = r"(?i:ul|st|apt|no|nr|ave|av|rd|str|pl|al|bd|blvd|ste|bldg|fl|dr|ln|ct|sq|rte|c/o)"
ADDRESS_SAID = regex.compile(
    r"(?i:\bmy[ \t]+(?:home[ \t]+|postal[ \t]+|street[ \t]+|new[ \t]+)?address[ \t]+is|\blives[ \t]+(?:at|on)|\bresides[ \t]+(?:at|on))[ \t]+"
    rf"(?P<value>[^\n]+?)(?=(?<!\b{STREET_ABBREVIATION})\.(?:[ \t]|$)|[ \t]*$)",
    regex.MULTILINE,
)
# "ZIP: 512 40", "my zip code is 742", "Postcode: 1234 AB", "PLZ 80331": any postcode layout after its label.
POSTCODE_SAID = regex.compile(
    r"(?i:\b(?:zip(?:[ \t]*code)?|post(?:al)?[ \t]*code|postcode|plz|cap|cp)(?:[ \t]*:|[ \t]+(?:number[ \t]+)?is)?)[ \t]+"
    r"(?P<value>[A-Z\d](?:[A-Z\d]|[ \-](?=[A-Z\d])){1,9})(?![\p{L}\d])"
)
TITLE = r"(?i:dr|mr|mrs|ms|miss|prof|sir)\.?[ \t]+"
NAME_ITEM = regex.compile(rf"[ \t]*(?:{TITLE})?(?P<name>{FULL_NAME})[ \t]*(?:<[^>\n]*>|\([^)\n]*\))?[ \t]*")
SEPARATOR = regex.compile(r",|;|[ \t]+(?:and|&)[ \t]+")
MAX_ADDRESS = 160


def _cut_at_next_label(text: str, start: int, end: int) -> int:
    later = INLINE_LABEL.search(text, start, end)
    return later.start() if later else end


class LabelledPersonRecognizer(RuleRecognizer):
    """Names after a person label: each name of a list ("Attendees: A, B and C"), titles and e-mail
    brackets left out; a value that is not a list of capitalised names ("Agent: noted") is no name."""

    ENTITY = "PERSON"
    SCORE = 0.6

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for field in PERSON_FIELD.finditer(text):
            start, end = (
                field.start("value"),
                _cut_at_next_label(text, field.start("value"), field.end("value")),
            )
            names: list[tuple[int, int]] = []
            position = start
            for separator in [*SEPARATOR.finditer(text, start, end), None]:
                item_end = separator.start() if separator else end
                item = NAME_ITEM.fullmatch(text, position, item_end)
                if item is None:
                    # not a list of names: fail open here, the NER model still runs
                    names = []
                    break
                first = item.group("name").split()[0].casefold()
                if first in NOT_A_PERSON or first in NOT_NAMES:
                    names = []
                    break
                names.append((item.start("name"), item.end("name")))
                position = separator.end() if separator else end
            for name_start, name_end in names:
                yield name_start, name_end, self.SCORE


class LabelledAddressRecognizer(RuleRecognizer):
    """The whole value after an address label (or "my address is"), in any country's layout; it must
    hold a digit (a house number or postcode), so "Address: see above" stays."""

    ENTITY = "STREET_ADDRESS"
    SCORE = 0.6

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for pattern in (ADDRESS_FIELD, ADDRESS_SAID):
            for match in pattern.finditer(text):
                start = match.start("value")
                end = (
                    _cut_at_next_label(text, start, match.end("value"))
                    if pattern is ADDRESS_FIELD
                    else match.end("value")
                )
                value = text[start:end]
                if (
                    0 < len(value) <= MAX_ADDRESS
                    and any(c.isdigit() for c in value)
                    and any(c.isalpha() for c in value)
                ):
                    yield start, end, self.SCORE


class LabelledPostcodeRecognizer(RuleRecognizer):
    """A postcode in any country's layout after its label; the value must hold a digit ("ZIP: N/A" stays)."""

    ENTITY = "POSTCODE"
    SCORE = 0.6

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in POSTCODE_SAID.finditer(text):
            if any(c.isdigit() for c in match.group("value")):
                yield match.start("value"), match.end("value"), self.SCORE


class _LabelledFieldRecognizer(RuleRecognizer):
    """The whole value after a label of this type, in any format: a checksum that fails or an obfuscated
    layout ("SSN: 123.45.6789", "IBAN: XX12 3456 ...", "E-mail: jane at example dot com") is still the
    field's value. Subclasses set the labels and what a value must hold."""

    LABELS = ""
    SCORE = 0.6
    MAX_VALUE = 60

    def __init__(self) -> None:
        super().__init__()
        self._field = regex.compile(
            rf"{LINE_START}(?:{self.LABELS}){AFTER_LABEL}(?P<value>[^\n]*?){VALUE_END}"
            rf"|(?i:\bmy[ \t]+(?:{self.LABELS})[ \t]+is)[ \t]+(?P<said>[^\s,;]+(?:[ \t]+[^\s,;]+)*?)(?=[ \t]*(?:[,;]|\.(?:\s|$)|$))",
            regex.MULTILINE,
        )

    def holds_value(self, value: str) -> bool:
        raise NotImplementedError

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in self._field.finditer(text):
            group = "value" if match.group("value") is not None else "said"
            start = match.start(group)
            end = _cut_at_next_label(text, start, match.end(group))
            if 0 < end - start <= self.MAX_VALUE and self.holds_value(text[start:end]):
                yield start, end, self.SCORE


class LabelledSsnRecognizer(_LabelledFieldRecognizer):
    ENTITY = "US_SSN"
    LABELS = r"(?i:ssn|social[ \t]+security(?:[ \t]+(?:number|no\.?|#))?)"

    def holds_value(self, value: str) -> bool:
        return sum(c.isdigit() for c in value) >= 4


class LabelledIbanRecognizer(_LabelledFieldRecognizer):
    ENTITY = "IBAN_CODE"
    LABELS = r"(?i:iban)"

    def holds_value(self, value: str) -> bool:
        return sum(c.isdigit() for c in value) >= 4


class LabelledEmailRecognizer(_LabelledFieldRecognizer):
    ENTITY = "EMAIL_ADDRESS"
    LABELS = r"(?i:e-?mail(?:[ \t]+address)?)"

    def holds_value(self, value: str) -> bool:
        folded = f" {value.casefold()} "
        return ("@" in folded or " at " in folded or "[at]" in folded) and len(value.split()) <= 8
