"""Launch tokens: a short unique word per launch, stamped into the workflow, found again by search.

Why the format is what it is (the real server, ``pneumaticapp/pneumaticworkflow`` at d21faf04):

* ``GET /workflows?search=...`` (``backend/src/processes/queries.py``, ``WorkflowListQuery``) joins
  ``processes_searchcontent`` rows of the workflow (or of its template) whose tsvector matches
  ``to_tsquery('''w1''' | '''w2''')`` built by ``SearchSqlQueryMixin._get_tsquery``
  (``backend/src/generics/mixins/managers.py``): the search text is split on spaces, each word is
  quoted and the words are OR-ed. There is **no prefix matching**: a word matches whole lexemes
  only, and any word of a multi-word search matching is enough.
* The tsvectors (migration ``backend/src/processes/migrations/0242_add_new_search_content.py``) are
  ``to_tsvector('pg_catalog.english', ...)`` of the workflow name (weight A), kickoff field values
  (B, every field type except files), task names/descriptions and output values, comments, and the
  template's name/description (matched through ``template_id``, so a template-level hit returns
  every workflow of the template). ``prepare_search_content`` strips ``http(s)://``, ``www.``,
  ``<``, ``>`` and ``**`` first.
* PostgreSQL's default parser splits on punctuation and treats hyphenated words specially
  (``a-b`` gives ``a-b``, ``a`` and ``b``); ASCII letter-only words go through the English
  stemmer; a word of letters followed by digits is a ``numword``, which the English configuration
  maps to the ``simple`` dictionary: lower-cased, never stemmed, identical under any search
  configuration.

So a token is ``<8 lower-case consonants><item index in decimal>`` (e.g. ``kqzrtxwm17``): one
``numword`` lexeme, no punctuation, no vowels (no accidental English words), unique per item
(fixed-length run id + index) and per run (random run id, 19**8 ≈ 1.7e10 values). The index is
zero-padded to the width of the batch's largest index (``kqzrtxwm0017`` in a batch of 5,000), so
all tokens of a run have the same length and none is a substring of another: a search that
matches substrings (the fake server's) finds only the token's own workflow too. Searching it
returns the workflow(s) carrying it (and nothing else unless the template text contains it); the
caller still confirms the token is really in the name or field value (:func:`has_token`).

The name stamp: the server truncates names longer than 120 characters *at the end* with "…"
(``string_abbreviation`` in ``backend/src/processes/utils/common.py``, applied after
``{{variables}}`` are expanded, ``services/workflows/workflow.py``). A literal name gets the
token appended (``"Onboarding ACME [kqzrtxwm17]"``), the name itself shortened with "…" so the
whole stays within 120 characters; a name with ``{{variables}}`` (whose expansion may grow past
120 characters) gets the token in front (``"[kqzrtxwm17] {{date}} — {{template-name}}"``), where
truncation cannot reach it.
"""

from __future__ import annotations

import hashlib
import re
import secrets

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

#: The server's workflow name limit; longer names are cut at the end with "…".
NAME_LIMIT = 120
#: Letters a run id is made of: lower-case consonants (no words, nothing a stemmer touches).
RUN_ID_ALPHABET = "bcdfghjkmnpqrstvwxz"
#: Characters in a run id.
RUN_ID_LENGTH = 8
#: The server's own default workflow name when the template has no name template.
DEFAULT_NAME_TEMPLATE = "{{date}} — {{template-name}}"

_RUN_ID = re.compile(f"[{RUN_ID_ALPHABET}]{{{RUN_ID_LENGTH}}}")
_VARIABLE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def new_run_id() -> str:
    """A fresh random run id (8 lower-case consonants)."""
    return "".join(secrets.choice(RUN_ID_ALPHABET) for _ in range(RUN_ID_LENGTH))


def is_run_id(value: str) -> bool:
    """Whether ``value`` has the run id format."""
    return _RUN_ID.fullmatch(value) is not None


def index_width(item_count: int) -> int:
    """Digits of the largest index of a batch of ``item_count`` items (at least 1)."""
    return len(str(max(item_count - 1, 0)))


def make_token(run_id: str, index: int, width: int = 1) -> str:
    """The launch token of item ``index`` of run ``run_id``, the index zero-padded to ``width``
    digits (deterministic: a resumed run rebuilds the same tokens)."""
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    return f"{run_id}{index:0{width}d}"


#: Digits after the 8 letters of a key's token (fixed: all key tokens have the same length).
KEY_TOKEN_DIGITS = 6


def key_token(scope: str) -> str:
    """The launch token of an idempotency key (``scope`` names the template and the key).

    Derived from a SHA-256 of ``scope``, so every process on every machine computes the same
    token: 8 consonants and 6 digits (``kqzrtxwm004217``), the format of :func:`make_token`.
    """
    digest = hashlib.sha256(scope.encode("utf-8")).digest()
    letters = "".join(RUN_ID_ALPHABET[b % len(RUN_ID_ALPHABET)] for b in digest[:RUN_ID_LENGTH])
    number = int.from_bytes(digest[RUN_ID_LENGTH : RUN_ID_LENGTH + 8], "big")
    return make_token(letters, number % 10**KEY_TOKEN_DIGITS, KEY_TOKEN_DIGITS)


def stamp_name(name: str, token: str) -> str:
    """``name`` with the token added so it survives the server's 120-character truncation.

    Literal names: ``"<name> [<token>]"``, with ``name`` cut (ending in "…") when the whole would
    exceed 120 characters. Names with ``{{variables}}``: ``"[<token>] <name>"``.
    """
    if _VARIABLE.search(name):
        return f"[{token}] {name}"
    suffix = f" [{token}]"
    room = NAME_LIMIT - len(suffix)
    name = name.rstrip()
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return name + suffix


def has_token(text: str | None, token: str) -> bool:
    """Whether ``token`` appears in ``text`` as a whole word (case-insensitive)."""
    if not text:
        return False
    pattern = rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])"
    return re.search(pattern, text, re.IGNORECASE) is not None
