"""Each recognizer on its own (its ``find``), and the known false-positive filters."""

from __future__ import annotations

import pytest
from faker import Faker

from masking.entities import DetectedSpan
from masking.recognizers.address import StreetAddressRecognizer
from masking.recognizers.addressee import AddresseeRecognizer
from masking.recognizers.base import RuleRecognizer
from masking.recognizers.dates import AgeRecognizer, DateOfBirthRecognizer
from masking.recognizers.identifiers import (
    AccountNumberRecognizer,
    LabelledCardRecognizer,
    MedicalRecordNumberRecognizer,
    VehicleIdRecognizer,
    vin_valid,
)
from masking.recognizers.labelled import (
    LabelledAddressRecognizer,
    LabelledEmailRecognizer,
    LabelledIbanRecognizer,
    LabelledPersonRecognizer,
    LabelledPostcodeRecognizer,
    LabelledSsnRecognizer,
)
from masking.recognizers.person import PersonCueRecognizer
from masking.recognizers.phone import LabelledPhoneRecognizer, NorthAmericanPhoneRecognizer
from masking.recognizers.secrets import SecretRecognizer
from masking.recognizers.terms import SensitiveTermRecognizer
from masking.spans import drop_false_positives, person_parts, resolve_overlaps


def found(recognizer: RuleRecognizer, text: str) -> list[str]:
    return [text[start:end] for start, end, _ in recognizer.find(text)]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("I live at 12 Main Street, Springfield, IL 62704 now.", "12 Main Street, Springfield, IL 62704"),
        ("Send it to Schinkestraße 6 please.", "Schinkestraße 6"),
        ("Our office: 622, rue de la Paix.", "622, rue de la Paix"),
        ("Meet at Via Roma 131 tomorrow", "Via Roma 131"),
        ("He moved to Villacher Strasse 89.", "Villacher Strasse 89"),
        ("Post to P.O. Box 242 today", "P.O. Box 242"),
        ("Return to Unit 3120 Box 4471\nDPO AE 20914 in case", "Unit 3120 Box 4471\nDPO AE 20914"),
        (
            "at 4127 Rantakatu 9 Apt. 31\nPaysandu\n, PA\n Uruguay 60014",
            "4127 Rantakatu 9 Apt. 31\nPaysandu\n, PA\n Uruguay 60014",
        ),
        (
            "It is the corner of ul. Lipowa 42 and Harlan Bypass",
            "the corner of ul. Lipowa 42 and Harlan Bypass",
        ),
        # the town too
        ("lives at 71 skovvej 9, odense", "71 skovvej 9, odense"),
        ("Address: Jesselring 705, 34067 Wiedenbrück\n", "Jesselring 705, 34067 Wiedenbrück"),
    ],
)
def test_street_addresses_in_international_formats(text: str, address: str) -> None:
    """What should be masked is masked, by the layout recognizer or, after a label, the labelled one."""
    start = text.index(address)
    spans = [
        (a, b) for r in (StreetAddressRecognizer(), LabelledAddressRecognizer()) for a, b, _ in r.find(text)
    ]
    assert any(a <= start and start + len(address) <= b for a, b in spans), spans


@pytest.mark.parametrize(
    "locale", ["en_US", "en_GB", "nl_NL", "de_DE", "da_DK", "fr_FR", "es_ES", "it_IT", "pl_PL"]
)
def test_every_faker_street_address_is_found(locale: str) -> None:
    """Faker's street formats (British "Flat 9\nHarrison Prairie", plural suffixes like "Roads", Dutch
    "Lizzhof 91", Italian "Piazza Lupo, 144 Appartamento 6", Spanish "Rambla de Rubén Solera 86 Puerta 4")
    with the city after them, wherever the street has a house number. At most 1% missed (Danish
    "H.C. Sneedorffs Allé 77" and "Christian II'sgade 656" are)."""
    fake = Faker(locale)
    fake.seed_instance(7)
    missed, tried = [], 0
    for _ in range(300):
        street = fake.street_address().strip()
        if not any(c.isdigit() for c in street):
            # "rue Julien Laurent": a street without a number identifies nobody
            continue
        tried += 1
        address = f"{street}, {fake.city()}"
        text = f"She wrote from {address}. Call her before Friday."
        if not any(address in span for span in found(StreetAddressRecognizer(), text)):
            missed.append(address)
    assert tried >= 200 and len(missed) <= tried // 100, missed


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on the 3rd floor.",
        "We sold 12 units in 2024.",
        "Chapter 5 covers Main Street history.",
        "Visit Borgo 2 of the exhibition; the Canale 5 news starts at 8.",
        "In Section 4 the Acceso 12 form is described.",
    ],
)
def test_address_recognizer_leaves_ordinary_sentences_alone(text: str) -> None:
    assert found(StreetAddressRecognizer(), text) == []


def test_address_tail_stops_at_the_next_sentence() -> None:
    text = "Ship to 622, rue de la Paix. Card 4111 1111 1111 1111 was used."
    assert found(StreetAddressRecognizer(), text) == ["622, rue de la Paix"]


def test_date_of_birth_needs_birth_context() -> None:
    recognizer = DateOfBirthRecognizer()
    assert found(recognizer, "She was born on 12 March 1985.") == ["12 March 1985"]
    assert found(recognizer, "DOB: 1979-02-14") == ["1979-02-14"]
    assert found(recognizer, "The invoice of 12 March 1985 is paid.") == []


def test_ages() -> None:
    text = "a 65-year-old male; I'll turn 21 soon; aged 40"
    # by position
    assert {(a, b) for a, b, _ in AgeRecognizer().find(text)} == {(2, 4), (30, 32), (44, 46)}
    assert "300" not in found(AgeRecognizer(), "the tower is 300 years old")


def test_labelled_identifiers() -> None:
    assert found(MedicalRecordNumberRecognizer(), "MRN: 4471-2290") == ["4471-2290"]
    assert found(AccountNumberRecognizer(), "policy no. PX-99812 and account details") == ["PX-99812"]
    assert found(AccountNumberRecognizer(), "member since forever") == []
    assert found(LabelledCardRecognizer(), "my card # 503890547220 is lost") == ["503890547220"]


def test_vin_check_digit() -> None:
    assert vin_valid("1M8GDM9AXKP042788")
    assert not vin_valid("1M8GDM9A1KP042788")
    assert found(VehicleIdRecognizer(), "VIN 1M8GDM9AXKP042788, plate: AB12 CDE") == [
        "1M8GDM9AXKP042788",
        "AB12 CDE",
    ]


def test_labelled_phones_in_local_formats() -> None:
    text = "Mobile: 98 412203\nPlease call me on 312 5517 or 644 210 937 office"
    assert found(LabelledPhoneRecognizer(), text) == ["98 412203", "312 5517", "644 210 937"]
    assert found(LabelledPhoneRecognizer(), "phone: 12") == []
    assert found(LabelledPhoneRecognizer(), "Call +441632960348 today") == ["+441632960348"]


def test_north_american_shape_with_extensions_and_unassigned_area_codes() -> None:
    text = "Call 001-291-278-2793x1152, +1-395-973-7967 or (390) 484-8254 ext. 12; fax 390.484.8254."
    assert found(NorthAmericanPhoneRecognizer(), text) == [
        "001-291-278-2793x1152",
        "+1-395-973-7967",
        "(390) 484-8254 ext. 12",
        "390.484.8254",
    ]
    not_phones = "Order 123-456-78901, version 2.555.123.4567, ISBN 978-3-16-148410-0, id 12-345-6789"
    assert found(NorthAmericanPhoneRecognizer(), not_phones) == []


def test_secrets() -> None:
    text = "key AKIAIOSFODNN7EXAMPLE and password = 'S3cure!Passw0rd' and token ghp_" + "a1B2" * 9
    assert found(SecretRecognizer(), text) == ["AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1B2" * 9, "S3cure!Passw0rd"]
    assert found(SecretRecognizer(), "password = password") == []


def test_person_cues() -> None:
    recognizer = PersonCueRecognizer()
    assert "Jane Doe" in found(recognizer, "Dear Ms Jane Doe, thanks.")
    assert "vitoria" in found(recognizer, "my name is vitoria")
    assert "Maurice" in found(recognizer, "That was close, said Ingrid to Maurice")
    assert "Halldór" in found(recognizer, "Halldór: What a wife.")
    assert found(recognizer, "Dear Sir, Note: this is fine.") == []


def test_sensitive_terms() -> None:
    assert found(SensitiveTermRecognizer(), "He is diabetic and a Catholic; a gay-friendly bar") == [
        "diabetic",
        "Catholic",
    ]


def span(start: int, end: int, kind: str, score: float = 0.5) -> DetectedSpan:
    return DetectedSpan(start, end, kind, score)


def test_false_positive_filters() -> None:
    text = "Mail jane@example.com, call 943-476-5919, the weekend, 987654321, Email"
    email = span(5, 21, "EMAIL_ADDRESS", 1.0)
    url = span(10, 21, "URL")
    phone = span(28, 40, "PHONE_NUMBER", 0.75)
    nhs = span(28, 40, "UK_NHS", 1.0)
    weekend = span(42, 53, "DATE_TIME", 0.85)
    bank = span(55, 64, "US_BANK_NUMBER", 0.4)
    person = span(66, 71, "PERSON", 0.85)
    kept = drop_false_positives(text, [email, url, phone, nhs, weekend, bank, person])
    assert kept == [email, phone]


def test_context_keeps_nhs_and_bank_numbers() -> None:
    text = "NHS number 943 476 5919; bank account 987654321"
    nhs, phone, bank = (
        span(11, 23, "UK_NHS", 1.0),
        span(11, 23, "PHONE_NUMBER"),
        span(38, 47, "US_BANK_NUMBER"),
    )
    assert drop_false_positives(text, [nhs, phone, bank]) == [nhs, phone, bank]


def test_overlaps_merge_into_their_union_typed_by_the_longer() -> None:
    merged = resolve_overlaps(
        [span(0, 10, "PERSON", 0.9), span(5, 30, "STREET_ADDRESS", 0.6), span(40, 45, "URL")]
    )
    assert [(s.start, s.end, s.entity_type) for s in merged] == [(0, 30, "STREET_ADDRESS"), (40, 45, "URL")]
    same_length = resolve_overlaps([span(0, 10, "US_SSN", 0.4), span(0, 10, "PHONE_NUMBER", 0.75)])
    assert [s.entity_type for s in same_length] == ["PHONE_NUMBER"]


@pytest.mark.parametrize("locale", ["nl_NL", "de_DE", "da_DK", "fr_FR", "es_ES", "it_IT", "pl_PL", "en_GB"])
def test_an_address_after_its_label_is_masked_whole_in_any_layout(locale: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(13)
    for _ in range(5):
        value = f"{fake.street_address()}, {fake.postcode()} {fake.city()}".replace("\n", ", ")
        for text in (
            f"Home address: {value}\nPhone: none",
            f"**Address:** {value}",
            f"She wrote that my home address is {value}. Thanks for checking.",
        ):
            assert found(LabelledAddressRecognizer(), text) == [value], text


def test_a_label_without_an_address_is_left_alone() -> None:
    for text in ("Address: see above", "Home address:\n", "Email address: on file"):
        assert found(LabelledAddressRecognizer(), text) == []


def test_names_after_person_labels_even_when_the_ner_model_misses_them(fake: Faker) -> None:
    chair, secretary, other = fake.name(), fake.name(), fake.name()
    text = (
        f"Attendees: {chair}, {secretary} and {other}\n**Manager:** Maja van der Plas\n"
        f"To: {chair} <someone@example.com>\nPatient: Dr. {other}   MRN: 1234567\n"
    )
    assert found(LabelledPersonRecognizer(), text) == [
        chair,
        secretary,
        other,
        "Maja van der Plas",
        chair,
        other,
    ]


def test_person_labels_with_no_name_after_them_find_nothing() -> None:
    text = "Agent: noted.\nStatus: Open\nCustomer: unknown\nTo: all staff\nFrom: Regards Team\n"
    assert found(LabelledPersonRecognizer(), text) == []


def test_phone_shaped_numbers_after_a_phone_label_whatever_their_range() -> None:
    text = (
        "My direct line is +44 20 5550 1234.\nReported by phone (+31(0)99 0606340).\nContact 79032283 today."
    )
    assert found(LabelledPhoneRecognizer(), text) == ["+44 20 5550 1234", "+31(0)99 0606340", "79032283"]


def test_an_employee_id_is_an_identifier() -> None:
    assert found(AccountNumberRecognizer(), "Employee ID: E752517\n**Staff number:** 88-1234") == [
        "E752517",
        "88-1234",
    ]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # a unit word ends the street name; the upper-case town and the country follow the unit
        (
            "it is 217 9 rue des Lilas Apt. 12 SAINT-GENIS France",
            "217 9 rue des Lilas Apt. 12 SAINT-GENIS France",
        ),
        # Hungarian house numbers end with a full stop, and the lines after it are still the address
        (
            "at 4180 Kossuth u. 42.\nCuritiba\n, PR\n Brazil 80410",
            "4180 Kossuth u. 42.\nCuritiba\n, PR\n Brazil 80410",
        ),
        ("512 Duna rkp. 7. Apt. 31", "512 Duna rkp. 7. Apt. 31"),
        # a building number before a P.O. box; a country after the town, then prose
        (
            "with 3301 P.O. Box 518 Apt. 77, Tartu, Estonia before Monday",
            "3301 P.O. Box 518 Apt. 77, Tartu, Estonia",
        ),
        (
            "arrived at 5512 3 Marlow Drive Suite 40 TOOLANGI Australia on Friday.",
            "5512 3 Marlow Drive Suite 40 TOOLANGI Australia",
        ),
        (
            "7714 Husova 12\n Suite 9\n Lipno nad Vltavou\n Czech Republic 38278",
            "7714 Husova 12\n Suite 9\n Lipno nad Vltavou\n Czech Republic 38278",
        ),
        (
            "It's in 310 18 Kowhai Road Suite 7 Taupo New Zealand",
            "310 18 Kowhai Road Suite 7 Taupo New Zealand",
        ),
    ],
)
def test_address_tails_units_and_countries(text: str, address: str) -> None:
    """The longest match is the whole address, no more (a bare unit line may match on its own too)."""
    assert max(found(StreetAddressRecognizer(), text), key=len) == address


def test_a_country_alone_or_in_prose_is_no_address() -> None:
    for text in (
        "We shipped 40 units to Estonia last year.",
        "Suite 4 is on the left, next to Australia House.",
    ):
        assert all(
            "Estonia" not in value and "Australia" not in value
            for value in found(StreetAddressRecognizer(), text)
        )


@pytest.mark.parametrize("locale", ["en_US", "en_GB", "nl_NL", "de_DE", "fr_FR", "da_DK"])
def test_the_name_on_top_of_an_address_block(locale: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(21)
    for _ in range(5):
        name = f"{fake.first_name()} {fake.last_name()}"
        street = fake.street_address().strip()
        if not any(c.isdigit() for c in street):
            continue
        for block in (f"{name}\n\n{street}\n{fake.city()}", f">{name}\n>{fake.job()}\n>{street}"):
            assert name in found(AddresseeRecognizer(), block), block


def test_no_addressee_without_a_street_below_or_with_a_company_or_form_word() -> None:
    recognizer = AddresseeRecognizer()
    assert found(recognizer, "Ilse Marchetti\n\nThanks for the quick reply.") == []
    assert found(recognizer, "Acme Technologies Ltd\n2217 Lindenkatu 14") == []
    assert found(recognizer, "Billing Department\n12 Main Street") == []
    # too far below: more than three non-blank lines in between
    assert found(recognizer, "Ilse Marchetti\none\ntwo\nthree\nfour\n12 Main Street") == []


def test_person_cues_for_prose_names() -> None:
    recognizer = PersonCueRecognizer()
    assert found(recognizer, 'Marta shouted at Devon: "Why?"') == ["Devon", "Marta"]
    assert found(recognizer, "Oliver lives on 14 Ashdown Road.") == ["Oliver"]
    # a pronoun is no name
    assert found(recognizer, "He lives on a quiet street.") == []
    assert found(recognizer, "I would like to add my kid Elena to the policy.") == ["Elena"]
    assert found(recognizer, "Her maiden name is Vale") == ["Vale"]
    assert found(recognizer, "What is your last name? Corrigan") == ["Corrigan"]
    assert found(recognizer, "her maiden name is lindqvist") == ["lindqvist"]
    # a cue must be a word of its own: "hi" inside "Brunelleschi" does not make the next line a name
    assert found(recognizer, "Brunelleschi\n\nInvoices go out monthly.") == []


def test_a_postcode_after_its_label_in_any_layout() -> None:
    text = "ZIP: 512 40\nmy zip code is 742\nPostcode: 1234 AB\nZIP: 80410-220\nZIP: N/A"
    assert found(LabelledPostcodeRecognizer(), text) == ["512 40", "742", "1234 AB", "80410-220"]


def test_a_line_of_a_person_span_that_opens_a_sentence_is_no_name() -> None:
    text = "Manager: Saar van Baalen\n\nInvoices go out monthly."
    whole = span(text.index("Saar"), text.index(" go"), "PERSON", 0.85)
    assert [text[p.start : p.end] for p in person_parts(text, whole)] == ["Saar van Baalen"]
    # one word alone on its line is kept: it may be a name
    memo = "Memo\n\nAmy Lee"
    assert [memo[p.start : p.end] for p in person_parts(memo, span(0, len(memo), "PERSON"))] == [
        "Memo",
        "Amy Lee",
    ]


def test_labelled_ssn_iban_and_email_fail_closed_whatever_their_format() -> None:
    text = (
        "SSN: 123.45.6789\nIBAN: XX12 3456 7890 1234   Phone: none\n**E-mail:** jane at example dot com\n"
        "Email: on file\nIBAN: see attached\nmy ssn is 123 45 6789, thanks"
    )
    assert found(LabelledSsnRecognizer(), text) == ["123.45.6789", "123 45 6789"]
    assert found(LabelledIbanRecognizer(), text) == ["XX12 3456 7890 1234"]
    assert found(LabelledEmailRecognizer(), text) == ["jane at example dot com"]
