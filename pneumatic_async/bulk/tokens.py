"""Launch tokens (moved to :mod:`pneumatic_async.tokens`, where single launches use them too)."""

from __future__ import annotations

from pneumatic_async.tokens import (
    DEFAULT_NAME_TEMPLATE,
    NAME_LIMIT,
    RUN_ID_ALPHABET,
    RUN_ID_LENGTH,
    has_token,
    index_width,
    is_run_id,
    key_token,
    make_token,
    new_run_id,
    stamp_name,
)

__all__ = [
    "DEFAULT_NAME_TEMPLATE",
    "NAME_LIMIT",
    "RUN_ID_ALPHABET",
    "RUN_ID_LENGTH",
    "has_token",
    "index_width",
    "is_run_id",
    "key_token",
    "make_token",
    "new_run_id",
    "stamp_name",
]
