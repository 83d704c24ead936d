"""The recognizer registry: Presidio's English recognizers plus ours, behind Presidio's interface.

Add a recognizer by appending its class to ``RAGMASK_RECOGNIZERS`` or by passing instances to
``build_registry(extra=...)``; the detector and the policy see it like any built-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from presidio_analyzer import EntityRecognizer, RecognizerRegistry
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from masking.recognizers.address import StreetAddressRecognizer
from masking.recognizers.addressee import AddresseeRecognizer
from masking.recognizers.base import RuleRecognizer
from masking.recognizers.dates import AgeRecognizer, DateOfBirthRecognizer
from masking.recognizers.email import OfflineEmailRecognizer
from masking.recognizers.given_names import GivenNameRecognizer
from masking.recognizers.identifiers import (
    AccountNumberRecognizer,
    DeviceIdRecognizer,
    LabelledCardRecognizer,
    LicenseNumberRecognizer,
    MedicalRecordNumberRecognizer,
    VehicleIdRecognizer,
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
from masking.recognizers.postcode import PostcodeRecognizer
from masking.recognizers.secrets import SecretRecognizer
from masking.recognizers.terms import SensitiveTermRecognizer

RAGMASK_RECOGNIZERS: list[Callable[[], EntityRecognizer]] = [
    OfflineEmailRecognizer,
    StreetAddressRecognizer,
    PostcodeRecognizer,
    DateOfBirthRecognizer,
    AgeRecognizer,
    MedicalRecordNumberRecognizer,
    AccountNumberRecognizer,
    LicenseNumberRecognizer,
    DeviceIdRecognizer,
    VehicleIdRecognizer,
    LabelledCardRecognizer,
    LabelledPhoneRecognizer,
    NorthAmericanPhoneRecognizer,
    SecretRecognizer,
    PersonCueRecognizer,
    LabelledPersonRecognizer,
    LabelledAddressRecognizer,
    LabelledPostcodeRecognizer,
    LabelledSsnRecognizer,
    LabelledIbanRecognizer,
    LabelledEmailRecognizer,
    AddresseeRecognizer,
    GivenNameRecognizer,
    SensitiveTermRecognizer,
]


def build_registry(extra: Iterable[EntityRecognizer] = ()) -> RecognizerRegistry:
    """Presidio's predefined English recognizers (its e-mail one swapped for the offline one) plus ours."""
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    registry.recognizers = [r for r in registry.recognizers if type(r) is not EmailRecognizer]
    for recognizer_class in RAGMASK_RECOGNIZERS:
        registry.add_recognizer(recognizer_class())
    for recognizer in extra:
        registry.add_recognizer(recognizer)
    return registry


__all__ = ["RAGMASK_RECOGNIZERS", "RuleRecognizer", "build_registry"]
