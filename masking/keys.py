"""The masking secret: where it comes from, and the sub-keys derived from it.

One secret, three purposes, each with its own derived key so that a token never equals a fingerprint
and neither reveals the key id. The secret is read from RAGMASK_SECRET_KEY or from a key file that
lives outside the data directory; it is never written anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from masking.errors import KeyConfigError

logger = logging.getLogger(__name__)

SECRET_ENV = "RAGMASK_SECRET_KEY"
KEY_FILE_ENV = "RAGMASK_KEY_FILE"
MIN_SECRET_BYTES = 16


def default_key_file() -> Path:
    """``$XDG_CONFIG_HOME/ragmask/secret.key``: beside the user's config, never in a data directory."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ragmask" / "secret.key"


@dataclass(frozen=True)
class MaskingKeys:
    """Derived keys. ``key_id`` is a public label of the secret for reports, not the secret itself."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise KeyConfigError(f"the masking secret must be at least {MIN_SECRET_BYTES} bytes")

    def _derive(self, purpose: str) -> bytes:
        return hmac.new(self.secret, f"ragmask/{purpose}/v1".encode(), hashlib.sha256).digest()

    @property
    def token_key(self) -> bytes:
        return self._derive("token")

    @property
    def fingerprint_key(self) -> bytes:
        return self._derive("fingerprint")

    @property
    def source_key(self) -> bytes:
        """Keys document ids: a file name can itself be personal data ("jane_doe_cv.txt")."""
        return self._derive("source")

    @property
    def key_id(self) -> str:
        return self._derive("key-id").hex()[:12]


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyConfigError(f"key file {path} is readable by others (mode {mode:o}); chmod 600 it")
    text = path.read_text(encoding="ascii").strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def _create_key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    logger.warning(
        "created a new masking key at %s (mode 0600). Back it up: tokens and erasure fingerprints "
        "depend on it, and a lost key makes earlier data unfindable for erasure.",
        path,
    )
    return secret


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def load_keys(
    *, key_file: Path | None = None, data_dir: Path | None = None, create_missing: bool = False
) -> MaskingKeys:
    """Keys from RAGMASK_SECRET_KEY, else from the key file (created 0600 if ``create_missing``)."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return MaskingKeys(from_env.encode())
    path = key_file or Path(os.environ.get(KEY_FILE_ENV) or default_key_file())
    if data_dir is not None and _inside(path, data_dir):
        raise KeyConfigError(f"key file {path} must not live inside the data directory {data_dir}")
    if path.exists():
        return MaskingKeys(_read_key_file(path))
    if create_missing:
        return MaskingKeys(_create_key_file(path))
    raise KeyConfigError(f"no masking key: set {SECRET_ENV} or create the key file {path}")
