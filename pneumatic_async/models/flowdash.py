"""Flowdash Actions API (doc 004): a task's actions and action executions."""

import enum

import attrs

__all__ = ["Action", "Execution", "ExecutionStatus"]


class ExecutionStatus(enum.StrEnum):
    """An action execution's ``status`` (capitalised, as Flowdash sends it)."""

    PENDING = "Pending"
    SUCCESS = "Success"
    FAIL = "Fail"


@attrs.frozen(kw_only=True)
class Action:
    """An item of ``GET /api/v1/workflows/<id>/tasks/<task>/actions``."""

    id: str
    name: str


@attrs.frozen(kw_only=True)
class Execution:
    """``POST /api/v1/workflows/<id>/executions`` and ``GET .../executions/<id>``.

    ``errors`` is set when ``status`` is ``Fail``.
    """

    id: str
    status: ExecutionStatus | str
    errors: list[str] = attrs.Factory(list)

    @property
    def done(self) -> bool:
        """Whether the execution finished (``Success`` or ``Fail``)."""
        return self.status in (ExecutionStatus.SUCCESS, ExecutionStatus.FAIL)
