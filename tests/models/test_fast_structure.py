"""The generated fast structure functions: same results as cattrs' detailed hooks, the detailed
error when they reject a body, frozen instances of the exact class, in-place page decoding."""

from __future__ import annotations

import copy
import enum
import gc
import json
import typing
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from pneumatic_async._converter import _fast, converter, structure
from pneumatic_async._fast_structure import FastStructure, _Reject
from pneumatic_async.errors import ResponseValidationError
from pneumatic_async.models import (
    Template,
    TemplateTask,
    Workflow,
    WorkflowListItem,
    WorkflowStatus,
)

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def _body(name: str) -> Any:
    return json.loads((DATA / name).read_text())


BODIES: list[tuple[str, type, Any]] = [
    ("template", Template, _body("template.json")),
    ("workflow", Workflow, _body("workflow.json")),
    ("list-item", WorkflowListItem, _body("workflows_page.json")["results"][0]),
]

# Values of every JSON type (and a missing key), put in every position of the bodies.
_MISSING = object()
REPLACEMENTS: list[Any] = [None, "text", "", 7, 0, -1.5, True, False, [], [1], {}, {"k": 1}]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*path, index)
            yield from _paths(value, (*path, index))


def _replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``node`` with the value at ``path`` replaced (copying only along the path)."""
    out = copy.copy(node)
    if len(path) > 1:
        out[path[0]] = _replaced(node[path[0]], path[1:], value)
    elif value is _MISSING:
        del out[path[0]]
    else:
        out[path[0]] = value
    return out


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except ResponseValidationError as exc:
        return "error", (exc.field_path, exc.args[0])
    except Exception as exc:
        return "error", type(exc).__name__


@pytest.mark.parametrize(("name", "cls", "body"), BODIES, ids=[b[0] for b in BODIES])
def test_captured_bodies_decode_on_the_fast_path_as_the_detailed_path_does(
    name: str, cls: type, body: Any
) -> None:
    fast = _fast.hook(cls)(body)  # no fallback: raises if the fast path rejects the body
    assert fast == converter.structure(body, cls)
    assert type(fast) is cls


@pytest.mark.parametrize(("name", "cls", "body"), BODIES, ids=[b[0] for b in BODIES])
def test_any_value_anywhere_gives_the_detailed_paths_outcome(
    name: str, cls: type, body: Any
) -> None:
    # The fast path never accepts what the detailed path refuses, never decodes differently, and
    # when it gives up, structure() reports the detailed path's error.
    hook = _fast.hook(cls)
    checked = 0
    for path in _paths(body):
        for value in [*REPLACEMENTS, _MISSING]:
            data = _replaced(body, path, value)
            detailed = _outcome(lambda data=data: converter.structure(data, cls))
            fast = _outcome(lambda data=data: hook(data))
            if fast[0] == "ok":
                assert detailed == fast, (path, value)
            got = _outcome(lambda data=data: structure(data, cls))
            if detailed[0] == "ok":
                assert got == detailed, (path, value)
            else:
                assert got[0] == "error", (path, value)
                assert got[1][0].startswith("$"), got
            checked += 1
    assert checked > 500


def test_error_path_is_the_detailed_one() -> None:
    body = copy.deepcopy(BODIES[0][2])
    body["tasks"][1]["conditions"][0]["rules"][0]["predicates"][0]["operator"] = 5
    with pytest.raises(ResponseValidationError) as info:
        structure(body, Template)
    assert info.value.field_path == "$.tasks[1].conditions[0].rules[0].predicates[0].operator"
    assert "PredicateOperator" in str(info.value)


def test_instances_are_frozen_and_of_the_exact_class() -> None:
    template = structure(BODIES[0][2], Template)
    assert type(template) is Template
    assert type(template.tasks[0]) is TemplateTask
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        template.name = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        template.__dict__  # noqa: B018 - slotted: no instance dict
    assert hash(template.tasks[0].raw_performers[0]) == hash(
        converter.structure(BODIES[0][2], Template).tasks[0].raw_performers[0]
    )
    assert weakref.ref(template)() is template
    assert "_Building" not in repr(template)


def test_defaults_are_fresh_per_instance() -> None:
    first = structure({"id": 1, "is_active": False}, Template)
    second = structure({"id": 2, "is_active": False}, Template)
    assert first.tasks == []
    assert second.tasks == []
    assert first.tasks is not second.tasks
    assert first.kickoff is not second.kickoff


def test_values_of_a_body_passed_in_are_copied_not_shared() -> None:
    body = copy.deepcopy(BODIES[1][2])
    workflow = structure(body, Workflow)
    assert workflow.owners == body["owners"]
    assert workflow.owners is not body["owners"]
    assert workflow.kickoff is not None
    assert workflow.kickoff.output[3].selections is not body["kickoff"]["output"][3]["selections"]


def test_an_enum_member_instead_of_its_value_is_decoded_by_the_detailed_path() -> None:
    body = copy.deepcopy(BODIES[1][2])
    body["status"] = WorkflowStatus.DONE
    assert structure(body, Workflow).status is WorkflowStatus.DONE


# --------------------------------------------------------------------------------------------
# Pages decoded in place


def test_consume_decodes_a_list_into_itself_and_leaves_input_alone_otherwise() -> None:
    items = [copy.deepcopy(BODIES[2][2]) for _ in range(3)]
    kept = structure(items, list[WorkflowListItem])
    assert all(type(item) is dict for item in items)
    consumed = structure(items, list[WorkflowListItem], consume=True)
    assert consumed is items
    assert consumed == kept
    assert all(type(item) is WorkflowListItem for item in items)


def test_consume_releases_each_raw_item_once_decoded() -> None:
    class Tracked(dict[str, Any]):
        """A dict that can be weakly referenced (rejected by the fast path, same data)."""

    raw = [Tracked(BODIES[2][2]) for _ in range(3)]
    refs = [weakref.ref(item) for item in raw]
    structure(raw, list[WorkflowListItem], consume=True)
    gc.collect()
    assert [ref() for ref in refs] == [None, None, None]


def test_consume_error_names_the_item_and_field() -> None:
    good = BODIES[2][2]
    bad = {**good, "tasks": [{**good["tasks"][0], "status": None}]}
    with pytest.raises(ResponseValidationError) as info:
        structure([good, good, bad], list[WorkflowListItem], consume=True)
    assert info.value.field_path == "$[2].tasks[0].status"
    assert info.value.model == "list[WorkflowListItem]"


def test_consume_of_something_else_is_an_ordinary_decode() -> None:
    body = copy.deepcopy(BODIES[1][2])
    assert structure(body, Workflow, consume=True) == structure(body, Workflow)
    with pytest.raises(ResponseValidationError) as info:
        structure({"not": "a list"}, list[Workflow], consume=True)
    assert info.value.field_path == "$"


# --------------------------------------------------------------------------------------------
# Classes that need their __init__


class Color(enum.Enum):
    RED = "red"


@attrs.frozen(kw_only=True)
class Checked:
    size: int = attrs.field(validator=attrs.validators.ge(0))
    color: Color = Color.RED


@attrs.frozen(kw_only=True)
class AfterInit:
    name: str
    seen: list[str] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.seen.append(self.name)


@attrs.define(kw_only=True)
class Mutable:
    name: str


@attrs.frozen(kw_only=True)
class CountsNew:
    made: typing.ClassVar[list[str]] = []
    name: str

    def __new__(cls, *args: Any, **kwargs: Any) -> CountsNew:
        cls.made.append(cls.__name__)
        return super().__new__(cls)


def test_classes_with_validators_or_hooks_go_through_their_init() -> None:
    fast = FastStructure(converter.get_structure_hook)
    assert fast.hook(CountsNew)({"name": "x"}) == CountsNew(name="x")
    assert CountsNew.made == ["CountsNew", "CountsNew"]  # its own __new__ ran each time
    assert fast.hook(Checked)({"size": 3, "color": "red"}) == Checked(size=3)
    with pytest.raises(ValueError, match="size"):
        fast.hook(Checked)({"size": -1})
    assert fast.hook(AfterInit)({"name": "x"}).seen == ["x"]
    mutable = fast.hook(Mutable)({"name": "x"})
    mutable.name = "y"
    assert mutable == Mutable(name="y")


def test_a_plain_enum_field_takes_its_values_only() -> None:
    fast = FastStructure(converter.get_structure_hook)
    with pytest.raises(KeyError):
        fast.hook(Checked)({"size": 1, "color": "blue"})


# --------------------------------------------------------------------------------------------
# Keys read with a subscript until one is seen absent


def test_a_key_seen_absent_once_is_read_with_its_default_from_then_on() -> None:
    fast = FastStructure(converter.get_structure_hook)
    hook = fast.hook(WorkflowListItem)
    item = BODIES[2][2]
    full = hook(item)
    without = {key: value for key, value in item.items() if key != "description"}
    first = hook(without)  # relearns: 'description' is absent sometimes
    second = fast.hook(WorkflowListItem)(without)
    assert first == second == attrs.evolve(full, description=None)
    assert hook(item) == full
    with pytest.raises(_Reject):  # a required key still rejects the body
        fast.hook(WorkflowListItem)({key: v for key, v in item.items() if key != "name"})


def test_consume_of_a_list_of_a_type_the_generator_refuses_uses_the_detailed_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(tp: Any) -> Any:
        raise TypeError("not generated")

    monkeypatch.setattr(_fast, "hook", refuse)
    items = [copy.deepcopy(BODIES[2][2])]
    assert structure(items, list[WorkflowListItem], consume=True) == [
        converter.structure(BODIES[2][2], WorkflowListItem)
    ]


def test_a_nested_key_seen_absent_recompiles_the_parents_holding_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = FastStructure(converter.get_structure_hook)
    relearned: list[str] = []
    relearn = fast._namespace["_relearn"]

    def counting(cls: type, data: Any) -> Any:
        relearned.append(cls.__name__)
        return relearn(cls, data)

    monkeypatch.setitem(fast._namespace, "_relearn", counting)
    hook = fast.hook(WorkflowListItem)
    item = copy.deepcopy(BODIES[2][2])
    for task in item["tasks"]:
        for performer in task["performers"]:
            del performer["date_completed_tsp"]  # a Performer key with a default
    decoded = [hook(item)]
    assert set(relearned) == {"WorkflowTemplate", "Performer"}  # list items: no template name
    relearned.clear()
    decoded += [hook(item), hook(item)]
    # The Performer's code is written inside WorkflowListItem's function: once learnt, that same
    # function object reads the key with its default.
    assert relearned == []
    assert fast.hook(WorkflowListItem) is hook
    assert decoded[0] == decoded[2] == converter.structure(item, WorkflowListItem)
    assert decoded[0].tasks[0].performers[0].date_completed_tsp is None


@attrs.frozen(kw_only=True)
class Node:
    name: str
    children: list[Node] = attrs.field(factory=list)
    parent: Node | None = None


def test_a_class_that_contains_itself_is_called_where_it_recurs() -> None:
    fast = FastStructure(converter.get_structure_hook)
    body = {
        "name": "a",
        "children": [{"name": "b", "children": [{"name": "c"}]}, {"name": "d"}],
        "parent": {"name": "root", "parent": None},
    }
    decoded = fast.hook(Node)(body)
    assert decoded == converter.structure(body, Node)
    assert decoded.children[0].children[0] == Node(name="c")
    with pytest.raises(_Reject):
        fast.hook(Node)({"name": "a", "children": [{"name": 1}]})


def test_nesting_deeper_than_the_inlined_depth_is_decoded_by_calls() -> None:
    leaf: type = attrs.make_class("Level12", {"value": attrs.field(type=int)}, frozen=True)
    levels = [leaf]
    for depth in range(11, -1, -1):
        child = levels[-1]
        levels.append(
            attrs.make_class(
                f"Level{depth}",
                {"child": attrs.field(type=child), "items": attrs.field(type=list[child])},
                frozen=True,
            )
        )
    body: Any = {"value": 7}
    for _ in range(12):
        body = {"child": body, "items": [body]}
    fast = FastStructure(converter.get_structure_hook)
    decoded = fast.hook(levels[-1])(body)
    assert decoded == converter.structure(body, levels[-1])
    assert type(decoded) is levels[-1]


def test_keys_are_read_with_the_json_decoders_own_key_objects() -> None:
    orjson = pytest.importorskip("orjson")
    fast = FastStructure(converter.get_structure_hook)
    hook = fast.hook(Workflow)
    raw = (DATA / "workflow.json").read_bytes()
    assert hook(orjson.loads(raw)) == converter.structure(json.loads(raw), Workflow)
    keys = hook.__defaults__
    assert keys is not None
    body = orjson.loads(raw)
    # The function's key parameters default to the very objects orjson puts in its dicts.
    assert all(any(key is mine for mine in keys) for key in body)
    assert hook(json.loads(raw)) == hook(body)  # equal strings from another decoder work too
