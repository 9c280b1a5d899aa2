"""Launch tokens at their edges: default width, the exact 120-character stamp boundary."""

from __future__ import annotations

import pytest

from pneumatic_async.bulk.tokens import NAME_LIMIT, index_width, make_token, stamp_name

TOKEN = "kqzrtxwm17"


def test_default_width_does_not_pad() -> None:
    assert make_token("kqzrtxwm", 7) == "kqzrtxwm7"
    assert make_token("kqzrtxwm", 17) == "kqzrtxwm17"
    assert make_token("kqzrtxwm", 7, width=3) == "kqzrtxwm007"
    assert make_token("kqzrtxwm", 0) == "kqzrtxwm0"
    with pytest.raises(ValueError, match="index must be >= 0, got -1"):
        make_token("kqzrtxwm", -1)


@pytest.mark.parametrize(("count", "width"), [(0, 1), (1, 1), (10, 1), (11, 2), (101, 3)])
def test_index_width(count: int, width: int) -> None:
    assert index_width(count) == width


def test_name_that_exactly_fits_is_not_cut() -> None:
    suffix = f" [{TOKEN}]"
    room = NAME_LIMIT - len(suffix)
    fits = "n" * room
    assert stamp_name(fits, TOKEN) == fits + suffix
    assert len(stamp_name(fits, TOKEN)) == NAME_LIMIT


def test_name_one_over_is_cut_with_an_ellipsis() -> None:
    suffix = f" [{TOKEN}]"
    room = NAME_LIMIT - len(suffix)
    stamped = stamp_name("n" * (room + 1), TOKEN)
    assert stamped == "n" * (room - 1) + "…" + suffix
    assert len(stamped) == NAME_LIMIT


def test_cut_keeps_leading_spaces_and_drops_trailing_ones() -> None:
    suffix = f" [{TOKEN}]"
    room = NAME_LIMIT - len(suffix)
    name = "  lead" + "x" * (room - 10) + "   tail-end-of-the-name"
    stamped = stamp_name(name, TOKEN)
    assert stamped.startswith("  lead")
    assert stamped.endswith("…" + suffix)
    assert len(stamped) <= NAME_LIMIT
    assert stamp_name("  Onboarding  ", TOKEN) == "  Onboarding" + suffix
    # the cut lands on spaces: they are dropped before the ellipsis
    spaced = "a" * (room - 3) + "      b"
    assert stamp_name(spaced, TOKEN) == "a" * (room - 3) + "…" + suffix


def test_names_with_variables_get_the_token_in_front() -> None:
    assert stamp_name("{{date}} - {{template-name}}", TOKEN) == (
        f"[{TOKEN}] {{{{date}}}} - {{{{template-name}}}}"
    )
