"""Street addresses in international formats, with their unit, city, state and postcode lines.

Presidio has no address recognizer and spaCy only tags the city. A core pattern finds the street
("12 Main Street", "Schinkestraße 6", "622, rue de la Paix", "Via Roma 131", "PSC 9009, Box 9725"),
then the match is extended over what usually follows it on the same or next lines: "Apt. 4",
"Springfield, IL 62704", "Uruguay 60014". Every extension piece must look like an address part,
so a following sentence is not swallowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import regex

from masking.recognizers.base import RuleRecognizer

NUM = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?"
CAP = r"\p{Lu}[\p{L}'’\-]*"
PARTICLE = (
    r"(?:de|del|della|dei|di|da|do|dos|das|du|des|la|le|les|el|van|von|der|den|ter|am|an|im|y|e|of|the|sur|ten"
    r"|nad|pod|bei|sous|upon|i)"
)
# A unit word starts the unit, not another word of the street name ("rue des Lilas Apt. 12").
UNIT_WORD = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Room|Box)(?!\p{L})"
NAME = rf"{CAP}(?:[ \t]+(?:{PARTICLE}[ \t]+)*(?!{UNIT_WORD}){CAP}){{0,3}}"
# USPS street suffixes (Publication 28, C1) and their abbreviations, plus common European ones.
SUFFIX = (
    r"(?:Streets?|St|Roads?|Rd|Avenue|Ave|Av|Boulevard|Blvd|Lanes?|Ln|Drives?|Dr|Courts?|Ct|Crescent|Cres|Ways?"
    r"|Place|Pl|Terrace|Terr|Close|Square|Squares|Sq|Parkways?|Pkwy|Highway|Hwy|Turnpike|Tpke|Circles?|Cir"
    r"|Trail|Trl|Row|Mews|Groves?|Gardens?|Gdns|Parks?|Walks?|Alley|Plaza|Expressway|Expy|Freeway|Fwy|Pike"
    r"|Loop|Path|Ridges?|Heights|Hts|Greens?|Gate|Vale|Rise|Wharf|Quay|Esplanade|Parade|Pde|Embankment"
    r"|Broadway|Bypass|Burgs?|Camp|Canyon|Cape|Causeway|Centers?|Centre|Cliffs?|Commons?|Corners?|Course"
    r"|Coves?|Creek|Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|Estates?|Extensions?|Falls?|Ferry"
    r"|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|Fort|Glens?|Harbou?rs?|Haven|Hills?|Hollow|Inlet"
    r"|Islands?|Isle|Junctions?|Keys?|Knolls?|Lakes?|Landing|Lights?|Locks?|Lodge|Mall|Manors?|Meadows?"
    r"|Mills?|Mission|Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass|Pass|Passage|Pines?|Plains?"
    r"|Points?|Ports?|Prairie|Ranch|Rapids?|Rest|Route|Shoals?|Shores?|Springs?|Spurs?|Stations?"
    r"|Stravenue|Streams?|Summit|Throughway|Trace|Track|Tunnel|Union|Unions|Valleys?|Viaduct|Views?"
    r"|Villages?|Ville|Vista|Wells?|Branch|Bridge|Brooks?|Club|Gateway|Land|Loaf|Radial|Ramp|River|Rue|Run"
    r"|Skyway|Trafficway|Underpass|Via|Wall|Strasse|Straße|Str|Gasse|Weg|Platz|Allee|Ring|Damm|Ufer|Markt|út"
    r"|utca|u|tér|krt|rkp|útja|sétány|köz|sor|Allé)\.?(?!\p{L})"
)
# Street words that follow the name as a separate, often lower-case word: "Luite tee 87", "Csabai kapu 39".
LOCAL_SUFFIX = (
    r"(?i:straße|strasse|str\.|gasse|weg|gata|gatan|vägen|vegen|veien|vei|vej|gade|katu|tie|kuja|tee"
    r"|terrasse|straat|laan|utca|út|u\.|kapu|sokak|caddesi|ulica|iela|tänav|vägur|vegur)(?!\p{L})"
)
PREFIX = (
    r"(?i:rue|avenue|av|avda|avenida|calle|c/|carrer|via|viale|piazza|piazzale|corso|largo|vicolo|rua"
    r"|rúa|praça|travessa|estrada|alameda|ul|ulica|al|aleja|plac|os|boulevard|bd|bvd|chemin|place"
    r"|impasse|allée|quai|cours|route|strada|camino|paseo|plaza|ronda|pasaje|carretera|calea|str|ulitsa"
    r"|odos|leoforos|sokak|cad|r|pl|c|vial|glorieta|urbanización|callejón|cañada|acceso|cuesta|pasadizo"
    r"|incrocio|borgo|contrada|rotonda|stretto|canale|rambla)\.?"
)
COMPOUND = (
    r"\p{L}[\p{L}\-]{1,}(?i:straße|strasse|str\.|gasse|weg|platz|allee|damm|ring|gatan|gata|vägen|vagen"
    r"|vegen|veien|vei|vej|gade|katu|tie|kuja|polku|tee|straat|laan|gracht|plein|kade|singel|dreef|utca"
    r"|sokak|sokağı|caddesi|iela|gatvė|tänav|street|road|vegur|vägur|baan|boulevard|hof|pad|steeg|stræde)(?!\p{L})"
)
# Capitalised words that start a sentence or a phrase, not a street name ("Visit Kongensstræde 5").
NOT_A_STREET_WORD = (
    r"(?!(?:In|At|On|To|From|Via|Near|Visit|See|Meet|The|A|An|My|Our|His|Her|Their|Your)(?!\p{L}))"
)
LEAD = rf"(?:{NUM}[ \t]*,?[ \t]+)"
# "Flat 9\nHarrison Prairie", "Studio 83, Shepherd Parkway": a British unit line before the street
UNIT_LEAD = rf"(?i:\b(?:Flat|Studio|Apartment|Apt\.?|Unit|Suite|Room))[ \t]+{NUM}[ \t]*(?:,[ \t]*|\n[ \t]*)"
# Hungarian and Slovak house numbers end with a full stop: "Rákóczi út 13.", "Piroska u. 97.\n".
HOUSE = rf"(?:[ \t]+{NUM}\b){{1,2}}(?:\.(?=[ \t]*(?:\n|,|$|{UNIT_WORD})))?"
MILITARY_LINE = r"(?:[ \t]*,?[ \t]*\n?[ \t]*[ADF]PO[ \t]+A[AEP][ \t]+\d{5})?"
STREET_THEN_STREET = rf"(?:[ \t]+{NAME}[ \t]+{SUFFIX})?"

CORES: list[tuple[regex.Pattern[str], float]] = [
    # 12 Main Street / 41 12 Kowhai Street / 1290 Marlow Dr Harbour Extensions
    (regex.compile(rf"{LEAD}{{1,2}}{NAME}[ \t]+{SUFFIX}{STREET_THEN_STREET}"), 0.75),
    (regex.compile(rf"{UNIT_LEAD}{LEAD}?{NAME}[ \t]+{SUFFIX}"), 0.75),
    # 622, rue de la Paix / 51 ul. Lipowa 42 / 12 r joão de deus 3
    (
        regex.compile(
            rf"{LEAD}{{1,2}}{PREFIX}[ \t]+(?:{PARTICLE}[ \t]+)*(?:{NAME}|\p{{Ll}}+(?:[ \t]+\p{{Ll}}+){{0,3}})(?:{HOUSE})?"
        ),
        0.75,
    ),
    # Schinkestraße 6 / 4127 Rantakatu 9 / Hammarvägen 15 / 71 skovvej 9 / Gammel Køge Landegade 52
    (
        regex.compile(
            rf"{LEAD}{{0,2}}(?<!\p{{L}})(?:{NOT_A_STREET_WORD}{CAP}[ \t]+){{0,2}}{COMPOUND}{HOUSE}"
        ),
        0.75,
    ),
    # Villacher Strasse 89 / Rákóczi út 66. / Luite tee 87 / Csabai kapu 39.
    (
        regex.compile(rf"{LEAD}{{0,2}}{NAME}[ \t]+(?:{SUFFIX}|{LOCAL_SUFFIX}){HOUSE}{STREET_THEN_STREET}"),
        0.75,
    ),
    # Via Roma 131 / ul. Słowicza 10 / Avda. Rio Nalon 58 / Piazza Napoleone, 1
    (regex.compile(rf"(?<!\p{{L}})(?:{NUM}[ \t]+)?{PREFIX}[ \t]+(?:{PARTICLE}[ \t]+)*{NAME},?{HOUSE}"), 0.75),
    # Lindgarden 14 Marlow Forks: a street with its number, then a second street name
    (regex.compile(rf"{NAME}[ \t]+{NUM}[ \t]+{NAME}[ \t]+{SUFFIX}"), 0.6),
    # 07960 Aqqusinersuaq 111 / 94472 Atamaria 55: building number, street name, house number
    (regex.compile(rf"\b\d{{2,6}}[ \t]+{CAP}(?:[ \t]+{CAP}){{0,2}}[ \t]+\d{{1,4}}\b"), 0.5),
    # the corner of Via Larga 12 and Harlan Mill
    (
        regex.compile(
            rf"(?i:the[ \t]+corner[ \t]+of)[ \t]+[^\n,;?!]{{3,60}}?[ \t]+and[ \t]+(?:\p{{Ll}}+[ \t]+)?{NAME}(?:[ \t]+{SUFFIX})?"
        ),
        0.7,
    ),
    # P.O. Box 242 / Unit 5477 Box 8244, DPO AP 15730 / PSC 9009, Box 9725 / USCGC Aslakhanov, FPO AE 44941
    (
        regex.compile(rf"{LEAD}?(?i:\bP\.?[ \t]?O\.?[ \t]*Box|\bPost[ \t]+Office[ \t]+Box)[ \t]+\d{{1,6}}"),
        0.75,
    ),
    (
        regex.compile(rf"(?i:\b(?:Unit|PSC|CMR)[ \t]+\d{{3,5}},?[ \t]+Box[ \t]+\d{{3,5}}{MILITARY_LINE})"),
        0.75,
    ),
    (regex.compile(rf"(?i:\b(?:USNS|USNV|USS|USCGC)[ \t]+\p{{L}}+{MILITARY_LINE})"), 0.5),
    # Standalone unit lines ("Apt. 022", "Suite 201") are address parts in the HIPAA sense.
    (regex.compile(r"(?i:\b(?:Apt\.?|Apartment|Suite|Ste\.)[ \t]*\d{1,5}[A-Za-z]?\b)"), 0.45),
]

UNIT = regex.compile(
    r"[ \t]*,?[ \t]*(?:\n[ \t>?]*)?(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Fl\.|Floor|Room|Rm\.?|Bldg\.?"
    r"|Building|\#|No\.?|Box|Puerta|Piso|Piano|Appartamento|Scala|Interno|Etage|Stock)[ \t]*[\w\-]+",
    regex.IGNORECASE,
)
STATE = r"\p{Lu}{2,3}"
ZIP = r"(?:\d{4,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d)"
SEP = r"[ \t]*(?:,|\n)[ \t>?]*(?:\n[ \t>?]*)?,?[ \t]*"
END = r"(?=[ \t]*(?:,|\n|$|\.|;|\)|\?|!|\p{Lu}{2,3}\b|\d{4}))"
# Towns are longer and freer than street names: "Krimpen aan de Lek", "'s-Heer Arendskerke",
# "Marina Di Sant'Ilario Dello Ionio", "Nieuw- en Sint Joosland", "St.Vigil", "St. Walburg/Ulten".
CITY_WORD = rf"{CAP}(?:\.[ \t]*{CAP})?"
CITY = (
    rf"(?:'[st][ \t\-])?{CITY_WORD}"
    rf"(?:(?:[ \t]+(?:(?:{PARTICLE}|aan|op|bij|en|sul|con|dello|sous|vorm|vor|ob|unter|i\.)[ \t]+)*|/){CITY_WORD}){{0,5}}"
)
ALL_CAPS_CITY = r"\p{Lu}{3,}(?:[ \t\-]+\p{Lu}{2,})*\b"
# (name, pattern, allowed after): each piece must look like an address part, and some only follow others.


def _country_names() -> list[str]:
    """English country names, longest first: phonenumbers' region data (a Presidio dependency), kept in
    masking/data/country_names_en.txt because importing that data takes a third of a second in every
    process (tests/test_recognizers.py checks the list is still phonenumbers')."""
    text = resources.files("masking.data").joinpath("country_names_en.txt").read_text(encoding="utf-8")
    return [name for name in text.splitlines() if name]


COUNTRY = "(?i:" + "|".join(regex.escape(name) for name in _country_names()) + r")(?:[ \t]+\(\p{L}+\))?"
TAIL_PIECES: list[tuple[str, regex.Pattern[str], frozenset[str]]] = [
    # "Tartu, Estonia before Monday", "TOOLANGI Australia on Friday", "\n Norway 40123"
    (
        "country",
        regex.compile(rf"(?:{SEP}|[ \t]+){COUNTRY}(?:[ \t]+{ZIP})?(?![\p{{L}}\d])"),
        frozenset({"any"}),
    ),
    ("city", regex.compile(rf"{SEP}{CITY}(?:[ \t]+\(\p{{L}}+\))?(?:[ \t]+{ZIP})?{END}"), frozenset({"any"})),
    ("zip", regex.compile(rf"{SEP}(?:{STATE}[ \t]+)?{ZIP}\b"), frozenset({"any"})),
    ("state", regex.compile(rf"{SEP}{STATE}\b"), frozenset({"any"})),
    # "34067 Wiedenbrück", "75008 Paris": the city after its postcode
    ("city", regex.compile(rf"[ \t]+{CITY}{END}"), frozenset({"zip"})),
    ("zip", regex.compile(rf"[ \t]+{ZIP}\b"), frozenset({"state", "city"})),
    ("state", regex.compile(rf"[ \t]+{STATE}\b(?:[ \t]+{ZIP}\b)?"), frozenset({"any"})),
    # On the street's own line after a unit: "Apt. 12 KEMI NO", "Apt. 40 Lenzburg Switzerland"
    ("caps_city", regex.compile(rf"[ \t]+{ALL_CAPS_CITY}"), frozenset({"unit"})),
    ("city", regex.compile(rf"[ \t]+{CAP}(?:[ \t]+{CAP}){{0,2}}{END}"), frozenset({"unit"})),
    ("city", regex.compile(rf"[ \t]+{CAP}(?:[ \t]+{CAP})?[ \t]+{STATE}\b"), frozenset({"any"})),
    # "Suite 12 KRAMSACH Upper Austria", "TOOLANGI Australia": a region or country after an upper-case town
    ("country", regex.compile(rf"[ \t]+{CAP}(?:[ \t]+{CAP})?{END}"), frozenset({"caps_city"})),
]
MAX_TAIL_PIECES = 5
MAX_ADDRESS_LENGTH = 200


def extend_tail(text: str, end: int) -> int:
    """Extend an address ending at ``end`` over its unit, city, state, postcode and country parts."""
    limit = end + MAX_ADDRESS_LENGTH
    previous = "street"
    unit = UNIT.match(text, end)
    if unit:
        end, previous = unit.end(), "unit"
    for _ in range(MAX_TAIL_PIECES):
        for kind, piece, after in TAIL_PIECES:
            if "any" not in after and previous not in after:
                continue
            match = piece.match(text, end)
            if match and match.end() <= limit:
                end, previous = match.end(), kind
                break
        else:
            break
    return end


class StreetAddressRecognizer(RuleRecognizer):
    ENTITY = "STREET_ADDRESS"

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for pattern, score in CORES:
            for match in pattern.finditer(text):
                end = extend_tail(text, match.end())
                start = match.start()
                yield start, end, score if end == match.end() else max(score, 0.6)
