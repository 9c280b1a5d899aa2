"""The launch body, checked and built in one place (pure).

``templates.run``, the bulk launcher (``run_many``/``stream_run``) and the CLI all launch with
the same run options; their checks and their encoding live here so the three never drift apart:

* :func:`run_option_problems` - what the server would reject in ``name``, ``is_urgent`` and
  ``due_date`` (blank names, non-bool urgency, due dates that are not in the future);
* :func:`checked_kickoff` - a kickoff checked and encoded against the template's fields, with
  the run options (every problem at once);
* :func:`launch_body` - the ``POST /templates/<id>/run`` body from an encoded kickoff and the
  run options (``due_date`` as ``due_date_tsp`` epoch seconds).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pneumatic_async._types import NotGiven
from pneumatic_async.errors import FieldProblem, InvalidValuesError
from pneumatic_async.values import SpecIndex, encode_values, epoch_seconds

__all__ = ["checked_kickoff", "due_date_seconds", "launch_body", "run_option_problems"]


def _given(value: object) -> bool:
    return value is not None and value.__class__ is not NotGiven


def due_date_seconds(value: object) -> int | float:
    """Epoch seconds of a due date: an aware ``datetime`` (naive = UTC), a ``date`` or a number.

    ``TypeError``/``ValueError`` (with the message the checks report) for anything else.
    """
    if isinstance(value, datetime | date):
        return epoch_seconds(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("the due date must be a finite number of epoch seconds")
        return value
    raise TypeError("the due date must be a datetime or epoch seconds (or a date)")


def run_option_problems(
    *,
    name: object = None,
    is_urgent: object = None,
    due_date: object = None,
    now: float | None = None,
    item: int | None = None,
) -> list[FieldProblem]:
    """Problems the server would report in the run options (``None``/not given: absent).

    Values may come from untyped input (files, JSON, the command line), so the runtime types are
    checked: ``name`` a non-blank string, ``is_urgent`` a bool, ``due_date`` later than ``now``
    (the server: "Due date should be greater than current.").
    """
    problems: list[FieldProblem] = []
    if _given(name):
        if not isinstance(name, str):
            problems.append(
                FieldProblem(field="name", message="the name must be a string", item=item)
            )
        elif not name.strip():
            problems.append(
                FieldProblem(field="name", message="This field may not be blank.", item=item)
            )
    if _given(is_urgent) and not isinstance(is_urgent, bool):
        problems.append(
            FieldProblem(field="is_urgent", message="is_urgent must be true or false", item=item)
        )
    if _given(due_date):
        try:
            seconds = due_date_seconds(due_date)
        except (TypeError, ValueError) as exc:
            problems.append(FieldProblem(field="due_date", message=str(exc), item=item))
        else:
            if seconds <= (time.time() if now is None else now):
                problems.append(
                    FieldProblem(
                        field="due_date",
                        message="Due date should be greater than current.",
                        item=item,
                    )
                )
    return problems


def launch_body(
    *,
    kickoff: Mapping[str, Any] | None,
    name: object,
    is_urgent: object,
    due_date: object,
    ancestor_task_id: int | None = None,
) -> dict[str, Any]:
    """The launch request body; options that are ``NOT_GIVEN`` are left out.

    ``due_date=None`` is sent as ``due_date_tsp: null`` (no due date); a ``None`` name or
    urgency is left out.
    """
    body: dict[str, Any] = {}
    if kickoff is not None:
        body["kickoff"] = dict(kickoff)
    if _given(name):
        body["name"] = name
    if _given(is_urgent):
        body["is_urgent"] = is_urgent
    if not isinstance(due_date, NotGiven):
        body["due_date_tsp"] = None if due_date is None else due_date_seconds(due_date)
    if ancestor_task_id is not None:
        body["ancestor_task_id"] = ancestor_task_id
    return body


def checked_kickoff(
    fields: SpecIndex,
    kickoff: Mapping[str, Any],
    user_emails: Mapping[int, str],
    *,
    name: object,
    is_urgent: object,
    due_date: object,
) -> dict[str, Any]:
    """``kickoff`` encoded for the template's ``fields``, after checking it and the run options:
    :class:`~pneumatic_async.errors.InvalidValuesError` with every problem of both at once."""
    problems = run_option_problems(name=name, is_urgent=is_urgent, due_date=due_date)
    encoded: dict[str, Any] = {}
    try:
        encoded = encode_values(fields, kickoff, check_required=True, user_emails=user_emails)
    except InvalidValuesError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidValuesError(problems)
    return encoded
