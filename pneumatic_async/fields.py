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
_PLAIN_URL: Final = re.compile(
    r"https?://((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d{2,5})?)"
    r"(?:[/?#][!-~]*)?\Z",
    re.IGNORECASE,
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


def _fast_encoder(spec: FieldSpec) -> FastEncoder | None:
    """The field's fast path: the common valid values, already sendable, given back as sent.

    It decides nothing else: an empty, unusual or wrong value gives :data:`SLOW`, so every
    problem and its message come from the full check in :mod:`pneumatic_async.values`.
    """
    kind = spec.type
    if kind in ("text", "user"):
        return lambda v: v if type(v) is str and v and v.isascii() else SLOW
    if kind == "string":
        return lambda v: (
            v if type(v) is str and 0 < len(v) <= STRING_MAX_LENGTH and v.isascii() else SLOW
        )
    if kind == "date":
        return lambda v: v if type(v) is int and 0 <= v <= YEAR_9999 else SLOW
    if kind == "number":
        return lambda v: v if type(v) is int and -INT_LIMIT <= v < INT_LIMIT else SLOW
    if kind == "url":
        return _plain_url
    choices = frozenset(spec.choice_values)
    if not choices or not all(choice.isascii() for choice in choices):
        return None
    if kind in ("radio", "dropdown"):
        return lambda v: v if type(v) is str and v in choices else SLOW
    if kind == "checkbox":

        def checkbox(v: object) -> Any:
            if type(v) is not list or not v:
                return SLOW
            for choice in v:
                if type(choice) is not str or choice not in choices:
                    return SLOW
            return list(v)

        return checkbox
    return None


class SpecIndex:
    """Field specs indexed once, to check many values against them (iterates the specs).

    ``client.templates`` keeps one per template, so a launch looks its fields up by api_name
    without rebuilding the index; :func:`~pneumatic_async.values.encode_values` takes either.
    """

    __slots__ = ("by_api_name", "fast", "required", "required_names", "specs", "user_fields")

    def __init__(self, specs: Iterable[FieldSpec]) -> None:
        self.specs: tuple[FieldSpec, ...] = tuple(specs)
        #: Each spec by its api_name.
        self.by_api_name: dict[str, FieldSpec] = {spec.api_name: spec for spec in self.specs}
        #: The specs of the required fields.
        self.required: tuple[FieldSpec, ...] = tuple(s for s in self.specs if s.is_required)
        #: Their api_names.
        self.required_names: frozenset[str] = frozenset(s.api_name for s in self.required)
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
