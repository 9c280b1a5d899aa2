"""Task output choices given by ``api_name``: the template's selections fill what a task lacks.

A task read from ``GET /v2/tasks/<id>`` lists the selections of its radio, dropdown and checkbox
output fields as value texts only (``["Approve", "Reject"]``), so a value given as a selection's
``api_name`` (``"dec-reject"``) cannot be checked against it. The template detail
(``GET /templates/<id>``) lists each selection with both its value text and its api_name. These
pure helpers tell when the template is needed (:func:`unresolved_choices`) and merge its
api_names into the task's specs (:func:`with_selection_api_names`); the tasks resource does the
fetching.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from pneumatic_async.fields import FieldSpec, _spec_from_field, _specs_from_raw_fieldsets

if TYPE_CHECKING:
    from pneumatic_async.models.templates import TemplateTask

__all__ = ["specs_from_template_task", "unresolved_choices", "with_selection_api_names"]

_SELECTION_TYPES = frozenset({"radio", "dropdown", "checkbox"})


def unresolved_choices(specs: Iterable[FieldSpec], values: Mapping[str, Any]) -> list[str]:
    """The api_names of choice fields whose given value matches no selection the specs know.

    Empty values and non-strings are left to :func:`pneumatic_async.values.encode_values`.
    """
    names: list[str] = []
    for spec in specs:
        if spec.type not in _SELECTION_TYPES or spec.api_name not in values:
            continue
        given = values[spec.api_name]
        items = given if isinstance(given, list | tuple) else [given]
        known = set(spec.choice_values) | {s.api_name for s in spec.selections if s.api_name}
        if any(isinstance(item, str) and item and item not in known for item in items):
            names.append(spec.api_name)
    return names


def specs_from_template_task(task: TemplateTask) -> list[FieldSpec]:
    """The output fields of a template task (``tasks[]`` of ``GET /templates/<id>``), fieldsets
    included; their selections carry both the value text and the ``api_name``."""
    specs = [_spec_from_field(field) for field in task.fields if field.api_name]
    return specs + _specs_from_raw_fieldsets(task.fieldsets)


def with_selection_api_names(
    specs: Iterable[FieldSpec], template_specs: Iterable[FieldSpec]
) -> list[FieldSpec]:
    """``specs`` whose selections take their ``api_name`` from ``template_specs``.

    Fields are matched by api_name, selections by value text; a spec without selections takes
    the template's.
    """
    by_api_name = {spec.api_name: spec for spec in template_specs}
    merged: list[FieldSpec] = []
    for spec in specs:
        source = by_api_name.get(spec.api_name)
        if source is None or not source.selections:
            merged.append(spec)
            continue
        names = {s.value: s.api_name for s in source.selections if s.api_name}
        selections = tuple(
            attrs.evolve(s, api_name=s.api_name or names.get(s.value)) for s in spec.selections
        )
        merged.append(attrs.evolve(spec, selections=selections or source.selections))
    return merged
