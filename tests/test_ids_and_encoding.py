"""Ids are never coerced, and values the JSON encoder would choke on are typed problems.

Every refusal happens before any request: the respx router has no routes, so a request would
fail the test with an unmatched-route error instead of the expected ``TypeError``/``ValueError``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async._encodable import check_encodable, unencodable
from pneumatic_async._ids import object_id, object_ids
from pneumatic_async.errors import InvalidValuesError
from pneumatic_async.testing import FakePneumatic

BAD_TYPES: list[Any] = [True, False, 1.9, 1.0, Decimal("7.5"), Decimal(7), math.inf, None, b"12"]
BAD_VALUES: list[Any] = ["\uff11\uff12", "1.5", "", " 12", "12 ", "-3", "0x1f", "٣", 0, -5, "0"]


@pytest.mark.parametrize("value", BAD_TYPES, ids=repr)
def test_non_int_non_str_ids_are_type_errors_naming_the_argument(value: Any) -> None:
    with pytest.raises(TypeError, match="task_id must be an int or a string of digits"):
        object_id(value, "task_id")


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_bad_id_values_are_value_errors_naming_the_argument(value: Any) -> None:
    with pytest.raises(ValueError, match="task_id must be"):
        object_id(value, "task_id")


def test_ints_and_ascii_digit_strings_are_ids() -> None:
    assert object_id(12, "x") == 12
    assert object_id("12", "x") == 12
    assert object_id("007", "x") == 7
    assert object_ids([1, "2"], "ids") == [1, 2]
    assert object_ids(3, "ids") == [3]
    with pytest.raises(TypeError, match=r"ids\[1\]"):
        object_ids([1, True], "ids")


CALLS = [
    ("tasks.get", lambda c, v: c.tasks.get(v)),
    ("tasks.complete", lambda c, v: c.tasks.complete(v, {"a": 1}, validate=False)),
    ("tasks.revert", lambda c, v: c.tasks.revert(v, "why")),
    ("tasks.comment", lambda c, v: c.tasks.comment(v, "hi")),
    ("tasks.clear_due_date", lambda c, v: c.tasks.clear_due_date(v)),
    ("templates.get", lambda c, v: c.templates.get(v)),
    ("templates.delete", lambda c, v: c.templates.delete(v)),
    ("templates.run", lambda c, v: c.templates.run(v, kickoff={}, validate=False)),
    ("workflows.get", lambda c, v: c.workflows.get(v)),
    ("workflows.delete", lambda c, v: c.workflows.delete(v)),
    ("workflows.finish", lambda c, v: c.workflows.finish(v)),
    ("workflows.comment", lambda c, v: c.workflows.comment(v, "hi")),
    ("workflows.return_to", lambda c, v: c.workflows.return_to(1, task_id=v)),
    ("users.get", lambda c, v: c.users.get(v)),
]


@pytest.mark.parametrize("call", CALLS, ids=[name for name, _ in CALLS])
@pytest.mark.parametrize("value", [True, 1.9, Decimal("7.5"), "\uff11\uff12", math.inf], ids=repr)
async def test_resources_refuse_coercible_ids_before_any_request(
    router: respx.MockRouter, client: Pneumatic, call: Any, value: Any
) -> None:
    with pytest.raises((TypeError, ValueError)) as caught:
        await call[1](client, value)
    assert "_id" in str(caught.value)
    assert not router.calls


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("\ud800", "cannot be sent"),
        ({"nested": ["ok", "\udfff"]}, "cannot be sent"),
        (10**40, "64 bits"),
        (-(2**63) - 1, "64 bits"),
        (math.nan, "not finite"),
        (object(), "cannot be encoded as JSON"),
    ],
    ids=["lone-surrogate", "nested-surrogate", "huge-int", "huge-negative", "nan", "object"],
)
def test_values_the_encoder_rejects_are_named(value: Any, named: str) -> None:
    message = unencodable(value)
    assert message is not None
    assert named in message
    with pytest.raises(InvalidValuesError) as caught:
        check_encodable({"ok": "fine", "bad": value}, item=3)
    (problem,) = caught.value.problems
    assert (problem.field, problem.item) == ("bad", 3)


def test_encodable_values_pass() -> None:
    assert unencodable({"a": [1, 2.5, "é", None, True, 2**63 - 1]}) is None


def _nested(depth: int) -> Any:
    value: Any = "x"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


_ENCODING_EDGES: list[Any] = [
    "plain",
    "é",
    "\ud800",
    ["ok", "\udfff"],
    "digits 1234567890123456789 in a string",
    2**63 - 1,
    2**63,
    2**64 - 1,
    2**64,
    -(2**63),
    -(2**63) - 1,
    10**18,
    10**40,
    1e300,
    math.nan,
    -math.inf,
    True,
    None,
    (1, "a"),
    {1, 2},
    object(),
    Decimal("1.5"),
    {"inner": 2**63},
    {3: "a non-string key"},
    [[[[2**63]]]],
    *(_nested(depth) for depth in (48, 49, 50, 51, 52, 60)),
    [[] for _ in range(60)],  # many brackets, shallow
]


@pytest.mark.parametrize("value", _ENCODING_EDGES, ids=lambda value: repr(value)[:30])
def test_check_encodable_decides_as_the_full_walk_does(value: Any) -> None:
    values = {"ok": "fine", "v": value}
    want = [("v", unencodable(value))] if unencodable(value) is not None else []
    try:
        check_encodable(values)
    except InvalidValuesError as exc:
        got = [(problem.field, problem.message) for problem in exc.problems]
    else:
        got = []
    assert got == want


TEMPLATE: dict[str, Any] = {
    "name": "T",
    "kickoff": {
        "fields": [
            {"order": 1, "name": "Client", "type": "string", "api_name": "client"},
            {"order": 2, "name": "Amount", "type": "number", "api_name": "amount"},
        ]
    },
    "tasks": [
        {
            "number": 1,
            "name": "Do",
            "api_name": "task-do",
            "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        }
    ],
}


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize(
    ("kickoff", "field"),
    [({"client": "\ud800"}, "client"), ({"client": "A", "amount": 10**40}, "amount")],
    ids=["surrogate", "huge-number"],
)
async def test_run_with_unsendable_values_is_invalid_values_not_a_crash(
    validate: bool, kickoff: dict[str, Any], field: str
) -> None:
    fake = FakePneumatic()
    template = fake.add_template(TEMPLATE)
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        with pytest.raises(InvalidValuesError) as caught:
            await client.templates.run(template.id, kickoff=kickoff, validate=validate)
        with pytest.raises(InvalidValuesError):
            await client.workflows.update(1, kickoff=kickoff, validate=False)
        results = await client.templates.run_many(
            template.id, [kickoff, {"client": "B"}], validate=validate, skip_invalid=True
        )
    assert [p.field for p in caught.value.problems] == [field]
    assert [r.status for r in results] == ["invalid", "launched"]
    assert len(fake.state.workflows) == 1
