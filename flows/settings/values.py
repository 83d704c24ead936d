"""How setting values may cross and be shown: paths made absolute, passwords in URLs found and redacted."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def holds_password(url: str) -> bool:
    try:
        return bool(urlsplit(url).password)
    except ValueError:
        # unparseable: treat as secret-bearing
        return True


def redacted_url(url: str | None) -> str | None:
    """A URL as it may be shown: its password replaced by ``***``."""
    if not url or not holds_password(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def absolute_path(path: Path | str | None) -> str:
    """Paths cross to a worker absolute: a relative one would be read from the worker's directory."""
    return str(Path(path).expanduser().resolve()) if path else ""
