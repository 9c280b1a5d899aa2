"""The SDK's logger and the redaction applied to everything it logs.

The logger ``pneumatic_async`` logs method and path at DEBUG, retries at INFO, and never bodies
unless a client is created with ``log_bodies=True``. Everything passes through :func:`redact`,
which removes ``Authorization`` values, ``pn-`` keys and the query strings of signed URLs.
"""

from __future__ import annotations

import logging
import re
from typing import Final

__all__ = ["logger", "redact"]

logger: Final = logging.getLogger("pneumatic_async")

_PATTERNS: Final = (
    # Authorization: Bearer xxx / Bearer xxx
    (re.compile(r"(?i)\b(bearer|token)\s+[^\s'\",]+"), r"\1 [REDACTED]"),
    # pn- API keys anywhere
    (re.compile(r"\bpn-[A-Za-z0-9_\-]{6,}"), "pn-[REDACTED]"),
    # file_service_auth cookie (holds the raw key)
    (re.compile(r"(?i)(file_service_auth=)[^;\s]+"), r"\1[REDACTED]"),
    # the query string of any URL (signed upload URLs carry signatures there)
    (re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]+"), r"\1?[REDACTED]"),
)


def redact(text: str, *secrets: str) -> str:
    """Return ``text`` with keys, bearer tokens and signed-URL query strings removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
