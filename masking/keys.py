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
from typing import ClassVar

from masking.errors import KeyConfigError

logger = logging.getLogger(__name__)

SECRET_ENV = "RAGMASK_SECRET_KEY"
KEY_FILE_ENV = "RAGMASK_KEY_FILE"
MIN_SECRET_BYTES = 16


@dataclass(frozen=True)
class SecretSource:
    """Where one secret comes from: an environment variable, else a key file (a variable names its path)."""

    # for messages: "masking key", "vault key"
    name: str
    env: str
    file_env: str
    file_name: str
    # what losing the key costs, said when a key file is created
    lost_warning: str

    def default_file(self) -> Path:
        """``$XDG_CONFIG_HOME/ragmask/<file>``: beside the user's config, never in a data directory."""
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(base) / "ragmask" / self.file_name


MASKING_SECRET = SecretSource(
    "masking key",
    SECRET_ENV,
    KEY_FILE_ENV,
    "secret.key",
    "tokens and erasure fingerprints depend on it, and a lost key makes earlier data unfindable for erasure",
)


@dataclass(frozen=True)
class DerivedKeys:
    """A secret and the sub-keys derived from it, one per purpose (HMAC-SHA256), so that no two uses
    share a key. ``key_id`` is a public label of the secret for reports, not the secret itself."""

    secret: bytes = field(repr=False)
    # prefixes each purpose: keys of different secrets never coincide
    namespace: ClassVar[str] = ""
    kind: ClassVar[str] = "masking secret"

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise KeyConfigError(f"the {self.kind} must be at least {MIN_SECRET_BYTES} bytes")

    def _derive(self, purpose: str) -> bytes:
        message = f"ragmask/{self.namespace}{purpose}/v1".encode()
        return hmac.new(self.secret, message, hashlib.sha256).digest()

    @property
    def key_id(self) -> str:
        return self._derive("key-id").hex()[:12]


@dataclass(frozen=True)
class MaskingKeys(DerivedKeys):
    """The masking secret's keys: tokens, fingerprints, document ids."""

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
    def reference_key(self) -> bytes:
        """Seals the paths a CLI run hands its flow run (a source reference): AES-256-GCM, 32 bytes."""
        return self._derive("source-reference")


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyConfigError(f"key file {path} is readable by others (mode {mode:o}); chmod 600 it")
    text = path.read_text(encoding="ascii").strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def _create_key_file(path: Path, source: SecretSource) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    logger.warning(
        "created a new %s at %s (mode 0600). Back it up: %s.", source.name, path, source.lost_warning
    )
    return secret


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def load_secret(
    source: SecretSource,
    *,
    key_file: Path | None = None,
    data_dir: Path | None = None,
    create_missing: bool = False,
) -> bytes:
    """The secret from its variable, else from its key file (created 0600 if ``create_missing``)."""
    from_env = os.environ.get(source.env)
    if from_env:
        return from_env.encode()
    path = key_file or Path(os.environ.get(source.file_env) or source.default_file())
    if data_dir is not None and _inside(path, data_dir):
        raise KeyConfigError(f"key file {path} must not live inside the data directory {data_dir}")
    if path.exists():
        return _read_key_file(path)
    if create_missing:
        return _create_key_file(path, source)
    raise KeyConfigError(f"no {source.name}: set {source.env} or create the key file {path}")


def load_keys(
    *, key_file: Path | None = None, data_dir: Path | None = None, create_missing: bool = False
) -> MaskingKeys:
    """Keys from RAGMASK_SECRET_KEY, else from the key file (created 0600 if ``create_missing``)."""
    return MaskingKeys(
        load_secret(MASKING_SECRET, key_file=key_file, data_dir=data_dir, create_missing=create_missing)
    )
