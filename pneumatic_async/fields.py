"""Field specs: what value validation knows of a template's or a task's fields.

Built from the server's objects (a template detail, a template list item, a task, a workflow's
kickoff); pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from pneumatic_async._encodable import INT_LIMIT
from pneumatic_async.models.templates import Selection

if TYPE_CHECKING:
    from pneumatic_async.models.common import FieldSet, TaskField
    from pneumatic_async.models.tasks import Task
    from pneumatic_async.models.templates import Field, Template, TemplateListItem
    from pneumatic_async.models.workflows import Workflow

__all__ = [
    "SLOW",
    "STRING_MAX_LENGTH",
    "YEAR_9999",
    "FieldSpec",
    "SpecIndex",
    "find_spec",
    "specs_from_list_item",
    "specs_from_task",
    "specs_from_template",
    "specs_from_workflow",
]


#: The longest value a ``string`` field takes (the server's limit; not in the public docs).
STRING_MAX_LENGTH: Final = 140
#: 9999-12-31T23:59:59Z in epoch seconds (the last second ``datetime`` represents).
YEAR_9999: Final = 253402300799
#: What a fast encoder returns for a value it leaves to the full check.
SLOW: Final[Any] = object()

#: Takes a value; gives it as sent, or :data:`SLOW` when the full check must judge it.
FastEncoder = Callable[[object], Any]

#: The everyday URL (``http(s)://`` + an ASCII host name + port, path, query): a strict subset of
#: what the full URL check (Django's rules, :func:`~pneumatic_async.values.is_valid_url`) takes.
#: Lowercase scheme only (others go the full way); host letters spelled out in both cases:
#: ``re.IGNORECASE`` makes the match about twice as slow (the value is ASCII by then).
_PLAIN_URL: Final = re.compile(
    r"https?://"
    r"((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}(?::\d{2,5})?)"
    r"(?:[/?#][!-~]*)?\Z"
)


def _plain_url(v: object) -> Any:
    if type(v) is str and v.isascii():
        match = _PLAIN_URL.match(v)
        if match is not None and match.end(1) - match.start(1) <= 253:
            return v
    return SLOW


@attrs.frozen(kw_only=True)
class FieldSpec:
    """What validation needs to know about one kickoff or output field.

    ``selections`` are the choices of radio/checkbox/dropdown fields (``api_name`` is ``None``
    when the source lists plain value strings). ``dataset`` is set when the field also takes
    the values of a dataset the template detail does not list: values outside ``selections``
    are then left for the server to judge.
    """

    api_name: str
    name: str
    type: str
    is_required: bool
    selections: tuple[Selection, ...] = ()
    dataset: int | None = None
    #: The value texts of the field's selections (computed once).
    choice_values: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)

    @choice_values.default
    def _choice_values(self) -> tuple[str, ...]:
        return tuple(selection.value for selection in self.selections)


def _only_choices(values: list[Any], choices: frozenset[str]) -> bool:
    for value in values:  # noqa: SIM110 - a loop is cheaper than all() over a generator
        if type(value) is not str or value not in choices:
            return False
    return True


#: What the generated tests below may use, besides a field's own choices.
_TEST_NAMES: Final[dict[str, Any]] = {
    "SLOW": SLOW,
    "_plain_url": _plain_url,
    "_only_choices": _only_choices,
    "_STRING_MAX": STRING_MAX_LENGTH,
    "_YEAR_9999": YEAR_9999,
    "_INT_LIMIT": INT_LIMIT,
}


def _fast_test(spec: FieldSpec) -> tuple[str, frozenset[str], bool] | None:
    """The field's fast test: ``(source of a test of v, its choices, sent as list(v))``.

    The test passes only the common valid values, already sendable as they are (a checkbox's
    list is copied); ``{c}`` in it names the choices. ``None``: the field has no fast path.
    It decides nothing else: a value failing it goes to the full check in
    :mod:`pneumatic_async.values`, where every problem and its message come from.
    """
    kind = spec.type
    none: frozenset[str] = frozenset()
    if kind in ("text", "user"):
        return "type(v) is str and v and v.isascii()", none, False
    if kind == "string":
        return "type(v) is str and 0 < len(v) <= _STRING_MAX and v.isascii()", none, False
    if kind == "date":
        return "type(v) is int and 0 <= v <= _YEAR_9999", none, False
    if kind == "number":
        return "type(v) is int and -_INT_LIMIT <= v < _INT_LIMIT", none, False
    if kind == "url":
        return "_plain_url(v) is not SLOW", none, False
    choices = frozenset(spec.choice_values)
    if not choices or not all(choice.isascii() for choice in choices):
        return None
    if kind in ("radio", "dropdown"):
        return "type(v) is str and v in {c}", choices, False
    if kind == "checkbox":
        return "type(v) is list and v and _only_choices(v, {c})", choices, True
    return None


def _fast_encoder(spec: FieldSpec) -> FastEncoder | None:
    """The field's fast path: ``v`` as sent when it passes :func:`_fast_test`, else ``SLOW``."""
    found = _fast_test(spec)
    if found is None:
        return None
    test, choices, copied = found
    sent = "list(v)" if copied else "v"
    source = f"lambda v: {sent} if ({test.format(c='_choices')}) else SLOW"
    encoder: FastEncoder = eval(source, {**_TEST_NAMES, "_choices": choices})
    return encoder


#: ``fn(values, check_required)``: the encoded values, or ``None`` when any needs the full path.
FastValues = Callable[[Mapping[str, Any], bool], "dict[str, Any] | None"]
_ABSENT: Final = object()


def _compile_fast_values(by_api_name: Mapping[str, FieldSpec], required: frozenset[str]) -> Any:
    """One function testing a whole set of values with every field's :func:`_fast_test` inline.

    It gives the encoded values (a copy of the dict, checkbox lists copied) when every value
    passes its field's test, no unknown key is given and (with ``check_required``) no required
    field is missing; else ``None``, and the caller checks them the full way. One function per
    template touches far less code than a call per value, which counts under concurrency.
    """
    names: dict[str, Any] = {**_TEST_NAMES, "_ABSENT": _ABSENT}
    lines = [
        "def fast_values(values, check_required):",
        "    if type(values) is not dict: return None",
        "    get = values.get",
        "    n = 0",
    ]
    copies: list[str] = []
    for index, (api_name, spec) in enumerate(by_api_name.items()):
        names[f"_k{index}"] = api_name
        lines += [f"    v = get(_k{index}, _ABSENT)", "    if v is not _ABSENT:"]
        found = _fast_test(spec)
        if found is None:
            lines.append("        return None")
        else:
            test, choices, copied = found
            names[f"_c{index}"] = choices
            test = test.format(c=f"_c{index}")
            lines += [f"        if not ({test}): return None", "        n += 1"]
            if copied:
                copies.append(f"_k{index}")
        if api_name in required:
            lines.append("    elif check_required: return None")
    lines += ["    if n != len(values): return None", "    out = dict(values)"]
    for key_name in copies:
        lines.append(f"    if {key_name} in out: out[{key_name}] = list(out[{key_name}])")
    lines.append("    return out")
    local: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<fast kickoff values>", "exec"), names, local)
    return local["fast_values"]


class SpecIndex:
    """Field specs indexed once, to check many values against them (iterates the specs).

    ``client.templates`` keeps one per template, so a launch looks its fields up by api_name
    without rebuilding the index; :func:`~pneumatic_async.values.encode_values` takes either.
    """

    __slots__ = (
        "_fast_values",
        "_uses",
        "by_api_name",
        "fast",
        "required",
        "specs",
        "user_fields",
    )

    def __init__(self, specs: Iterable[FieldSpec]) -> None:
        self.specs: tuple[FieldSpec, ...] = tuple(specs)
        #: Each spec by its api_name.
        self.by_api_name: dict[str, FieldSpec] = {spec.api_name: spec for spec in self.specs}
        #: The specs of the required fields.
        self.required: tuple[FieldSpec, ...] = tuple(s for s in self.specs if s.is_required)
        #: The api_names of the ``user`` fields.
        self.user_fields: frozenset[str] = frozenset(
            spec.api_name for spec in self.specs if spec.type == "user"
        )
        #: Each field's fast path (by api_name), for the fields that have one.
        self.fast: dict[str, FastEncoder] = {
            spec.api_name: encoder
            for spec in self.specs
            if (encoder := _fast_encoder(spec)) is not None
        }

        self._fast_values: FastValues | None = None
        self._uses = 0

    def fast_values(self) -> FastValues | None:
        """The whole-set fast path (:func:`_compile_fast_values`), compiled on the second use
        (an index made for one call never pays for it); ``None`` before that."""
        fast_values = self._fast_values
        if fast_values is None:
            self._uses += 1
            if self._uses < 2:
                return None
            required = frozenset(spec.api_name for spec in self.required)
            fast_values = self._fast_values = _compile_fast_values(self.by_api_name, required)
        return fast_values

    @classmethod
    def of(cls, specs: Iterable[FieldSpec]) -> SpecIndex:
        """``specs`` itself when it is an index, else a new index of it."""
        return specs if isinstance(specs, SpecIndex) else cls(specs)

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __repr__(self) -> str:
        return f"SpecIndex({[spec.api_name for spec in self.specs]!r})"


def _field_type(value: object) -> str:
    return str(value)  # StrEnum members give their value


def _spec_from_field(field: Field) -> FieldSpec:
    return FieldSpec(
        api_name=field.api_name or "",
        name=field.name,
        type=_field_type(field.type),
        is_required=field.is_required,
        selections=tuple(field.selections),
        dataset=field.dataset,
    )


def _spec_from_task_field(field: TaskField) -> FieldSpec:
    return FieldSpec(
        api_name=field.api_name,
        name=field.name,
        type=_field_type(field.type),
        is_required=field.is_required,
        selections=tuple(Selection(value=value) for value in field.selections),
    )


def _spec_from_dict(data: Mapping[str, Any]) -> FieldSpec | None:
    """A spec from a field inside a template fieldset (kept as raw JSON by the models)."""
    api_name, field_type = data.get("api_name"), data.get("type")
    if not isinstance(api_name, str) or not isinstance(field_type, str):
        return None
    selections: list[Selection] = []
    for raw in data.get("selections") or ():
        if isinstance(raw, str):
            selections.append(Selection(value=raw))
        elif isinstance(raw, Mapping) and isinstance(raw.get("value"), str):
            raw_api_name = raw.get("api_name")
            selections.append(
                Selection(
                    value=raw["value"],
                    api_name=raw_api_name if isinstance(raw_api_name, str) else None,
                )
            )
    name = data.get("name")
    dataset = data.get("dataset")
    return FieldSpec(
        api_name=api_name,
        name=name if isinstance(name, str) else api_name,
        type=field_type,
        is_required=data.get("is_required") is True,
        selections=tuple(selections),
        dataset=dataset if isinstance(dataset, int) and not isinstance(dataset, bool) else None,
    )


def _specs_from_raw_fieldsets(fieldsets: Iterable[Mapping[str, Any]]) -> list[FieldSpec]:
    specs: list[FieldSpec] = []
    for fieldset in fieldsets:
        for raw in fieldset.get("fields") or ():
            if isinstance(raw, Mapping):
                spec = _spec_from_dict(raw)
                if spec is not None:
                    specs.append(spec)
    return specs


def _specs_from_fieldsets(fieldsets: Iterable[FieldSet]) -> list[FieldSpec]:
    return [_spec_from_task_field(field) for fieldset in fieldsets for field in fieldset.fields]


def specs_from_template(template: Template) -> list[FieldSpec]:
    """The kickoff fields of a template detail (``GET /templates/<id>``), fieldsets included."""
    specs = [_spec_from_field(field) for field in template.kickoff.fields if field.api_name]
    return specs + _specs_from_raw_fieldsets(template.kickoff.fieldsets)


def specs_from_list_item(item: TemplateListItem) -> list[FieldSpec]:
    """The kickoff fields of a ``GET /templates`` item (its selections are plain value strings,
    dataset item values included)."""
    specs = [
        FieldSpec(
            api_name=field.api_name,
            name=field.name,
            type=_field_type(field.type),
            is_required=field.is_required,
            selections=tuple(Selection(value=value) for value in field.selections),
        )
        for field in item.kickoff.fields
    ]
    return specs + _specs_from_raw_fieldsets(item.kickoff.fieldsets)


def specs_from_task(task: Task) -> list[FieldSpec]:
    """The output fields of a task (``GET /v2/tasks/<id>``), fieldsets included."""
    specs = [_spec_from_task_field(field) for field in task.output]
    return specs + _specs_from_fieldsets(task.fieldsets)


def specs_from_workflow(workflow: Workflow) -> list[FieldSpec]:
    """The kickoff fields of a running workflow (``GET /workflows/<id>``), for kickoff updates."""
    if workflow.kickoff is None:
        return []
    specs = [_spec_from_task_field(field) for field in workflow.kickoff.output]
    return specs + _specs_from_fieldsets(workflow.kickoff.fieldsets)


def find_spec(specs: Iterable[FieldSpec], api_name: str) -> FieldSpec | None:
    """The spec with this ``api_name``, or ``None``."""
    return next((spec for spec in specs if spec.api_name == api_name), None)
