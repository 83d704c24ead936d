"""The vault's cryptography: token -> value maps sealed with envelope encryption, and rehydration.

Each document version gets a fresh AES-256-GCM data key; every value is sealed with it (a random
nonce, the token and the document as associated data, so a sealed value cannot be moved to another
token or document), and the data key itself is sealed ("wrapped") with the master key, which comes
from RAGMASK_VAULT_KEY or a key file outside the data directory and is never stored beside the data.
Destroying a document's wrapped key makes its sealed values unreadable: crypto-shredding.
Storage is the caller's business (indexers/vault_store.py); nothing here logs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from masking.errors import MaskingError
from masking.keys import DerivedKeys, SecretSource, load_secret
from masking.sealing import InvalidTag, new_key, open_sealed, seal
from masking.tokens import substitute_tokens

VAULT_SECRET = SecretSource(
    "vault key",
    "RAGMASK_VAULT_KEY",
    "RAGMASK_VAULT_KEY_FILE",
    "vault.key",
    "without it no vaulted value can be rehydrated; keep it apart from the data and its backups",
)


class VaultError(MaskingError):
    """The vault cannot seal or open a document's values; one line, never a value."""


@dataclass(frozen=True)
class VaultKey(DerivedKeys):
    """The master key: wraps data keys. Its ``key_id`` is stored with each wrapped key."""

    namespace: ClassVar[str] = "vault-"
    kind: ClassVar[str] = "vault key"

    @property
    def wrapping_key(self) -> bytes:
        return self._derive("wrap")


def load_vault_key(
    *, key_file: Path | None = None, data_dir: Path | None = None, create_missing: bool = False
) -> VaultKey:
    """The master key from RAGMASK_VAULT_KEY, else its key file (created 0600 if ``create_missing``)."""
    return VaultKey(
        load_secret(VAULT_SECRET, key_file=key_file, data_dir=data_dir, create_missing=create_missing)
    )


@dataclass(frozen=True)
class VaultAddress:
    """Which document version a data key and its values belong to: bound into every ciphertext."""

    collection: str
    doc_id: str
    version: int

    def associated_data(self, token: str = "") -> bytes:
        return json.dumps([self.collection, self.doc_id, self.version, token]).encode()


@dataclass(frozen=True)
class SealedValues:
    """A document version's vault: its wrapped data key and token -> sealed value."""

    master_key_id: str
    wrapped_key: bytes = field(repr=False)
    entries: dict[str, bytes] = field(default_factory=dict, repr=False)


def seal_values(master: VaultKey, address: VaultAddress, values: Mapping[str, str]) -> SealedValues:
    """Seal ``values`` (token -> original value) under a fresh data key wrapped by ``master``."""
    data_key = new_key()
    entries = {
        token: seal(data_key, value.encode(), address.associated_data(token))
        for token, value in sorted(values.items())
    }
    wrapped = seal(master.wrapping_key, data_key, address.associated_data())
    return SealedValues(master.key_id, wrapped, entries)


def open_values(master: VaultKey, address: VaultAddress, sealed: SealedValues) -> dict[str, str]:
    """token -> value; a wrong master key or any tampered byte is an error, never a wrong value."""
    if sealed.master_key_id != master.key_id:
        raise VaultError(
            f"document {address.doc_id} was sealed with vault key {sealed.master_key_id}, "
            f"this vault key is {master.key_id}"
        )
    try:
        data_key = open_sealed(master.wrapping_key, sealed.wrapped_key, address.associated_data())
        return {
            token: open_sealed(data_key, value, address.associated_data(token)).decode()
            for token, value in sealed.entries.items()
        }
    except InvalidTag:
        raise VaultError(f"the vault of document {address.doc_id} does not authenticate (altered?)") from None


def rehydrate_text(text: str, values: Mapping[str, str]) -> tuple[str, int]:
    """``text`` with each token found in ``values`` put back; returns it and how many were replaced."""
    return substitute_tokens(text, values)
