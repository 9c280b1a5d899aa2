"""Launch items: normalisation, local checks, fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pneumatic_async.bulk.items import LaunchItem, check_item, fingerprint, normalize_items

NOW = 1_800_000_000.0


def test_mappings_become_kickoff_items_and_items_pass_through() -> None:
    item = LaunchItem({"a": 1}, name="N", is_urgent=True)
    source: list[LaunchItem | dict[str, Any]] = [{"x": "y"}, item]
    result = normalize_items(iter(source))
    assert result == [LaunchItem({"x": "y"}), item]
    assert (result[0].name, result[0].is_urgent, result[0].due_date) == (None, None, None)


def test_the_kickoff_is_copied() -> None:
    source = {"a": 1}
    item = LaunchItem(source)
    source["a"] = 2
    assert item.kickoff == {"a": 1}


@pytest.mark.parametrize("bad", [{"a": 1}, "abc", b"abc"])
def test_a_single_mapping_or_string_is_not_an_iterable_of_items(bad: object) -> None:
    with pytest.raises(TypeError, match="iterable"):
        normalize_items(bad)  # type: ignore[arg-type]


def test_other_values_are_type_errors_naming_the_index() -> None:
    with pytest.raises(TypeError, match=r"item 2: .* got int"):
        normalize_items([{}, {}, 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="kickoff must be a mapping"):
        LaunchItem(["a"])  # type: ignore[arg-type]


def test_check_item_accepts_a_good_item() -> None:
    future = datetime.fromtimestamp(NOW + 3600, UTC)
    assert (
        check_item(LaunchItem({"a": 1}, name="x", is_urgent=False, due_date=future), 0, now=NOW)
        == []
    )
    assert check_item(LaunchItem({}, due_date=NOW + 1), 0, now=NOW) == []


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        (LaunchItem({}, name=""), "name", "may not be blank"),
        (LaunchItem({}, name="  \t"), "name", "may not be blank"),
        (LaunchItem({}, name=5), "name", "must be a string"),  # type: ignore[arg-type]
        (LaunchItem({}, is_urgent="true"), "is_urgent", "true or false"),  # type: ignore[arg-type]
        (LaunchItem({}, due_date=NOW - 1), "due_date", "greater than current"),
        (LaunchItem({}, due_date=NOW), "due_date", "greater than current"),
        (
            LaunchItem({}, due_date=datetime.fromtimestamp(NOW, UTC) - timedelta(days=1)),
            "due_date",
            "greater than current",
        ),
        (LaunchItem({}, due_date="2030-01-01"), "due_date", "datetime or epoch"),  # type: ignore[arg-type]
        (LaunchItem({}, due_date=True), "due_date", "datetime or epoch"),
        (LaunchItem({}, due_date=float("inf")), "due_date", "finite"),
        (LaunchItem({1: "x"}), "1", "keys must be strings"),  # type: ignore[dict-item]
    ],
)
def test_check_item_reports_problems_with_the_index(
    item: LaunchItem, field: str, message: str
) -> None:
    [problem] = check_item(item, 4, now=NOW)
    assert problem.item == 4
    assert problem.field == field
    assert message in problem.message


def test_fingerprint_is_stable_and_sensitive() -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    base = [
        LaunchItem({"a": 1, "b": [1, 2]}, name="x", due_date=moment),
        LaunchItem({"n": Decimal("1.5"), "s": {3}}),
    ]
    same = [
        LaunchItem({"b": [1, 2], "a": 1}, name="x", due_date=moment),  # key order is irrelevant
        LaunchItem({"n": Decimal("1.5"), "s": {3}}),
    ]
    assert fingerprint(base) == fingerprint(same)
    assert len(fingerprint(base)) == 64
    variants = [
        [base[1], base[0]],
        base[:1],
        [LaunchItem({"a": 2, "b": [1, 2]}, name="x", due_date=moment), base[1]],
        [LaunchItem({"a": 1, "b": [1, 2]}, name="y", due_date=moment), base[1]],
        [LaunchItem({"a": 1, "b": [1, 2]}, name="x", due_date=moment, is_urgent=True), base[1]],
        [LaunchItem({"a": 1, "b": [1, 2]}, name="x", due_date=moment.timestamp()), base[1]],
        [base[0], LaunchItem({"n": Decimal("1.50"), "s": {3}})],
    ]
    prints = {fingerprint(v) for v in variants} | {fingerprint(base)}
    assert len(prints) == len(variants) + 1


def test_fingerprint_survives_odd_values() -> None:
    loop: list[object] = []
    loop.append(loop)
    assert len(fingerprint([LaunchItem({"x": {1: "a"}}), LaunchItem({"y": loop})])) == 64
