"""Launch tokens: format, uniqueness, name stamping within the server's 120 characters."""

from __future__ import annotations

import re

import pytest

from pneumatic_async.bulk.tokens import (
    NAME_LIMIT,
    RUN_ID_ALPHABET,
    has_token,
    index_width,
    is_run_id,
    make_token,
    new_run_id,
    stamp_name,
)

# What PostgreSQL's default parser calls a ``numword`` (letters, then digits): one lexeme, mapped
# to the ``simple`` dictionary by the English configuration (never stemmed).
NUMWORD = re.compile(r"^[a-z]+[0-9]+$")


def test_run_ids_are_consonants_only_and_random() -> None:
    ids = {new_run_id() for _ in range(200)}
    assert len(ids) == 200
    for run_id in ids:
        assert len(run_id) == 8
        assert set(run_id) <= set(RUN_ID_ALPHABET)
        assert not set(run_id) & set("aeiouy0123456789")
        assert is_run_id(run_id)
    assert not is_run_id("bcdfghj")  # too short
    assert not is_run_id("bcdfghja")  # a vowel


def test_tokens_are_single_search_words_unique_per_item_and_run() -> None:
    run_id = "kqzrtxwm"
    width = index_width(10_000)
    assert width == 4
    tokens = [make_token(run_id, i, width) for i in range(10_000)]
    assert tokens[0] == "kqzrtxwm0000"
    assert tokens[17] == "kqzrtxwm0017"
    assert tokens[-1] == "kqzrtxwm9999"
    assert len(set(tokens)) == len(tokens)
    assert all(NUMWORD.match(token) for token in tokens)
    assert {len(token) for token in tokens} == {12}
    # fixed-length run id: no token of one run equals a token of another
    other = {make_token("kqzrtxwb", i, width) for i in range(10_000)}
    assert not other & set(tokens)
    with pytest.raises(ValueError, match="index"):
        make_token(run_id, -1)


def test_no_token_is_a_substring_of_another() -> None:
    # a substring search (the fake server's) must find only the token's own workflow
    tokens = [make_token("kqzrtxwm", i, index_width(1200)) for i in range(1200)]
    names = " ".join(f"[{token}]" for token in tokens)
    assert all(names.count(token) == 1 for token in tokens)


@pytest.mark.parametrize(("count", "width"), [(0, 1), (1, 1), (10, 1), (11, 2), (101, 3)])
def test_index_width(count: int, width: int) -> None:
    assert index_width(count) == width


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Onboarding [kqzrtxwm17]", True),
        ("[kqzrtxwm17] {{date}}", True),
        ("KQZRTXWM17 upper case", True),
        ("kqzrtxwm17", True),
        ("Onboarding [kqzrtxwm170]", False),  # another item's token (prefix)
        ("Onboarding [xkqzrtxwm17]", False),
        ("Onboarding kqzrtxwm1", False),
        ("", False),
        (None, False),
    ],
)
def test_has_token_matches_whole_words_only(text: str | None, expected: bool) -> None:
    assert has_token(text, "kqzrtxwm17") is expected


def test_stamp_appends_the_token_to_a_literal_name() -> None:
    assert stamp_name("Onboarding ACME", "kqzrtxwm17") == "Onboarding ACME [kqzrtxwm17]"
    assert stamp_name("Trailing   ", "kqzrtxwm1") == "Trailing [kqzrtxwm1]"


@pytest.mark.parametrize("length", [100, 107, 108, 109, 119, 120, 121, 500])
def test_stamped_names_never_exceed_the_server_limit(length: int) -> None:
    token = "kqzrtxwm12345"
    name = "n" * length
    stamped = stamp_name(name, token)
    assert len(stamped) <= NAME_LIMIT
    assert stamped.endswith(f" [{token}]")
    assert has_token(stamped, token)
    room = NAME_LIMIT - len(f" [{token}]")
    if length <= room:
        assert stamped == f"{name} [{token}]"
    else:
        assert len(stamped) == NAME_LIMIT
        assert stamped.startswith("n" * (room - 1) + "…")


def test_stamp_puts_the_token_first_when_the_name_has_variables() -> None:
    stamped = stamp_name("{{client-name}} — {{date}}", "kqzrtxwm3")
    assert stamped == "[kqzrtxwm3] {{client-name}} — {{date}}"
    # the server expands variables and cuts the END of names over 120 chars: the token survives
    expanded = stamped.replace("{{client-name}}", "A" * 300)
    server_name = expanded[: -(len(expanded) - NAME_LIMIT + 1)] + "…"
    assert len(server_name) == NAME_LIMIT
    assert has_token(server_name, "kqzrtxwm3")
