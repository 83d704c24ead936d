"""Presidio's e-mail recognizer with tldextract on its bundled suffix list: no network, ever.

tldextract's default extractor downloads the public suffix list on first use (a ConnectionError and
a stall on every start here). The snapshot shipped inside the package is enough to validate domains.
"""

from __future__ import annotations

from functools import lru_cache

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer


@lru_cache(maxsize=1)
def offline_extractor() -> tldextract.TLDExtract:
    """An extractor that reads only the suffix-list snapshot bundled with tldextract."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    def validate_result(self, pattern_text: str) -> bool:
        return bool(offline_extractor()(pattern_text).fqdn)
