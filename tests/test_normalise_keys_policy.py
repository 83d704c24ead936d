"""Normalisation, the masking key, and policy loading with errors that name the bad key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from masking import KeyConfigError, PolicyError, load_keys, load_policy
from masking.fingerprints import fingerprint_value
from masking.keys import MaskingKeys
from masking.normalise import normalise
from masking.policy import Action

KEY = b"f" * 32


def test_normalisation_makes_formatting_variants_equal() -> None:
    assert normalise("EMAIL_ADDRESS", " Jane.Doe@Example.COM ") == "jane.doe@example.com"
    assert (
        normalise("PHONE_NUMBER", "+1 (415) 555-0132")
        == normalise("PHONE_NUMBER", "415.555.0132")
        == "+14155550132"
    )
    assert normalise("PHONE_NUMBER", "+44 20 7946 0958") == "+442079460958"
    assert normalise("PERSON", "Dr.  Jane   DOE") == normalise("PERSON", "jane doe") == "jane doe"
    assert normalise("CREDIT_CARD", "4111-1111 1111-1111") == "4111111111111111"
    assert normalise("IBAN_CODE", "gb92 byib 7933 7915 6685 96") == "GB92BYIB79337915668596"


def test_fingerprints_match_across_formats_and_differ_across_groups() -> None:
    assert fingerprint_value(KEY, "EMAIL_ADDRESS", "Jane.Doe@Example.com") == fingerprint_value(
        KEY, "EMAIL_ADDRESS", "jane.doe@example.com"
    )
    assert fingerprint_value(KEY, "PHONE_NUMBER", "+1 (555) 010-2000") == fingerprint_value(
        KEY, "PHONE_NUMBER", "555-010-2000"
    )
    # An account number detected as two different types still has one fingerprint.
    assert fingerprint_value(KEY, "US_BANK_NUMBER", "12345678") == fingerprint_value(
        KEY, "ACCOUNT_NUMBER", "12345678"
    )
    assert fingerprint_value(KEY, "PERSON", "12345678") != fingerprint_value(
        KEY, "ACCOUNT_NUMBER", "12345678"
    )


def test_derived_keys_are_distinct_and_the_secret_is_not_in_repr() -> None:
    keys = MaskingKeys(b"s" * 32)
    assert len({keys.token_key, keys.fingerprint_key, keys.source_key}) == 3
    assert "sss" not in repr(keys)
    with pytest.raises(KeyConfigError, match="at least"):
        MaskingKeys(b"short")


def test_key_from_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAGMASK_SECRET_KEY", "e" * 32)
    assert load_keys(key_file=tmp_path / "missing.key").secret == b"e" * 32


def test_key_file_is_created_0600_once_and_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RAGMASK_SECRET_KEY")
    path = tmp_path / "conf" / "secret.key"
    with pytest.raises(KeyConfigError, match="no masking key"):
        load_keys(key_file=path)
    created = load_keys(key_file=path, create_missing=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keys(key_file=path).secret == created.secret


def test_unsafe_key_files_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RAGMASK_SECRET_KEY")
    data_dir = tmp_path / "data"
    with pytest.raises(KeyConfigError, match="inside the data directory"):
        load_keys(key_file=data_dir / "secret.key", data_dir=data_dir, create_missing=True)
    open_file = tmp_path / "open.key"
    open_file.write_text("a" * 64)
    os.chmod(open_file, 0o644)
    with pytest.raises(KeyConfigError, match="readable by others"):
        load_keys(key_file=open_file)


def test_presets_load_and_differ() -> None:
    default, strict, hipaa = (load_policy(name) for name in ("default", "strict", "hipaa"))
    assert default.rule("PERSON").action is Action.TOKENIZE
    assert default.rule("ORGANIZATION").action is Action.KEEP
    assert strict.rule("ORGANIZATION").action is Action.TOKENIZE and strict.strict
    assert hipaa.rule("DATE_TIME").action is Action.TOKENIZE and hipaa.rule("URL").action is Action.TOKENIZE
    assert len({default.version, strict.version, hipaa.version}) == 3


def test_policy_files_in_yaml_and_toml(tmp_path: Path) -> None:
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text(
        "extends: default\nentities:\n  PERSON: redact\n  LOCATION: {action: tokenize, threshold: 0.7}\n"
        "allow_list: [Acme]\ndeny_list: {PROJECT: [Nightingale]}\n"
    )
    policy = load_policy(yaml_file)
    assert policy.rule("PERSON").action is Action.REDACT
    assert policy.rule("LOCATION").threshold == 0.7
    assert policy.is_allowed(" acme ") and "PROJECT" in policy.masked_types
    toml_file = tmp_path / "p.toml"
    toml_file.write_text('extends = "strict"\nscope = "corpus"\n[entities.AGE]\naction = "keep"\n')
    toml_policy = load_policy(toml_file)
    assert toml_policy.scope.value == "corpus" and toml_policy.rule("AGE").action is Action.KEEP


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("entities:\n  PERSON: mask\n", "entities.PERSON.action"),
        ("entities:\n  PERSON: {action: tokenize, treshold: 0.5}\n", "entities.PERSON.treshold"),
        ("entities:\n  PERSON: {threshold: 2}\n", "entities.PERSON.threshold"),
        ("colour: blue\n", "colour"),
        ("scope: galaxy\n", "scope"),
        ("entities:\n  person: tokenize\n", "entities.person"),
        ("strict: maybe\n", "strict"),
        ("allow_list: Acme\n", "allow_list"),
    ],
)
def test_bad_policy_files_name_the_bad_key(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert f": {named}:" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_preset_and_unparseable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such preset or file"):
        load_policy("paranoid")
    broken = tmp_path / "broken.yaml"
    broken.write_text("entities: [unclosed\n")
    with pytest.raises(PolicyError, match="cannot parse"):
        load_policy(broken)
