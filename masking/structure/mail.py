"""E-mail layouts: address headers (From, To, Cc in several languages) with display names, the line that
introduces a quoted reply, and signature blocks after a sign-off."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from masking.names.evidence import plausible_in_field
from masking.names.shape import NAME_PHRASE
from masking.structure.labels import PERSON_TOKEN
from masking.structure.lines import Line, strip_range
from masking.structure.name_items import names_in
from masking.structure.result import StructureFindings

HEADER_LABELS = (
    r"(?i:from|to|cc|bcc|reply-to|sender|von|an|kopie|de|à|a|para|da|van|aan|od|do|fra|til|till|från|kopia)"
)
ADDRESS_HEADER = regex.compile(rf"[ \t>]*(?:\*\*)?{HEADER_LABELS}(?:\*\*)?[ \t]*:[ \t]*(?P<value>[^\n]+)")
ADDRESS_ITEM = regex.compile(r"(?P<display>[^<>;\n]*?)[ \t]*<(?P<address>[^<>\n]+@[^<>\n]+)>")
QUOTE_HEADER = regex.compile(
    rf"(?P<name>{NAME_PHRASE})[ \t]*(?:<[^>\n]*>|\([^)\n]*@[^)\n]*\))?[ \t]*,?[ \t]*"
    r"(?i:wrote|writes|schrieb|a[ \t]+écrit|escribió|ha[ \t]+scritto|schreef|napisał|skrev|kirjoitti)[ \t]*:"
)
SIGN_OFF = regex.compile(
    r"[ \t>]*(?i:best|kind|warm|warmest|many[ \t]+thanks|thanks|thank[ \t]+you|regards|cheers|sincerely"
    r"|yours(?:[ \t]+(?:sincerely|faithfully|truly))?|respectfully|with[ \t]+(?:best|kind|warm)[ \t]+(?:wishes|regards)"
    r"|best[ \t]+wishes|all[ \t]+the[ \t]+best|mit[ \t]+freundlichen[ \t]+grüßen|viele[ \t]+grüße|beste[ \t]+grüße"
    r"|freundliche[ \t]+grüße|(?:bien[ \t]+)?cordialement|salutations|bien[ \t]+à[ \t]+vous|saludos|un[ \t]+saludo"
    r"|atentamente|cordiali[ \t]+saluti|distinti[ \t]+saluti|saluti|met[ \t]+vriendelijke[ \t]+groet(?:en)?"
    r"|groeten|pozdrawiam|z[ \t]+poważaniem|(?:med[ \t]+)?venlig[ \t]+hilsen|med[ \t]+vänlig[ \t]+hälsning"
    r"|hälsningar|mvh|atenciosamente|abraços|ystävällisin[ \t]+terveisin|s[ \t]+pozdravem)"
    r"\b[^\n]{0,30}$|[ \t>]*--[ \t]*$"
)
SIGNATURE_NAME = regex.compile(
    rf"[ \t>]*(?P<name>{NAME_PHRASE}|{PERSON_TOKEN})[ \t]*"
    r"(?:$|[,|–—][ \t]*(?P<rest>[^\n]*)$|[ \t]+[-–—|][ \t]+(?P<after>[^\n]*)$|\([^)\n]*\)[ \t]*$)"
)
MAX_LINES_AFTER_SIGN_OFF = 3
SCORE = 0.8


def read_address_header(text: str, line: Line, found: StructureFindings) -> bool:
    match = ADDRESS_HEADER.fullmatch(text, line.start, line.end)
    if match is None:
        return False
    start, end = match.span("value")
    items = list(ADDRESS_ITEM.finditer(text, start, end))
    if not items:
        found.add_all(names_in(text, start, end, strong=True), "PERSON", SCORE, "MailHeaderRecognizer")
        return True
    for item in items:
        display_start, display_end = strip_range(text, *item.span("display"), " \t,;\"'“”")
        if display_end > display_start:
            found.add_all(
                names_in(text, display_start, display_end, strong=True),
                "PERSON",
                SCORE,
                "MailHeaderRecognizer",
            )
    return True


def read_quote_headers(text: str, found: StructureFindings) -> None:
    """ "On Monday, Jane Doe <jane@example.com> wrote:"."""
    for match in QUOTE_HEADER.finditer(text):
        if plausible_in_field(match.group("name")):
            found.add(match.start("name"), match.end("name"), "PERSON", SCORE, "MailHeaderRecognizer")


def read_signatures(text: str, lines: Sequence[Line], found: StructureFindings) -> None:
    """The name on the first line after a sign-off ("Best regards," or "--"), blank lines skipped."""
    for index, line in enumerate(lines):
        if not SIGN_OFF.fullmatch(text, line.start, line.end):
            continue
        following = [n for n in lines[index + 1 : index + 1 + MAX_LINES_AFTER_SIGN_OFF] if n.end > n.start]
        following = [n for n in following if text[n.start : n.end].strip()]
        if not following:
            continue
        match = SIGNATURE_NAME.fullmatch(text, following[0].start, following[0].end)
        if match is None:
            continue
        if match.group("name").startswith("<PERSON") or plausible_in_field(match.group("name")):
            if not match.group("name").startswith("<PERSON"):
                found.add(match.start("name"), match.end("name"), "PERSON", SCORE, "SignatureRecognizer")
            rest = "rest" if match.group("rest") is not None else "after"
            # "| Goldsmith | Corning Incorporated": a role, a company
            if match.group(rest) is not None:
                found.not_person.append(match.span(rest))
