"""AES-256-GCM sealing, the one primitive behind the vault and sealed source references.

A sealed value is a random 12-byte nonce followed by the ciphertext and tag; the associated data binds
it to where it belongs (a token and document, a reference id), so it cannot be moved elsewhere.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12

__all__ = ["NONCE_BYTES", "InvalidTag", "new_key", "open_sealed", "seal"]


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def open_sealed(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    """The plaintext; InvalidTag for a wrong key, a moved value or any altered byte."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
