"""Performers: who a task goes to when it starts, and whose completion counts (contract §7.4)."""

from __future__ import annotations

from pneumatic_async.testing.engine.conditions import int_or_none
from pneumatic_async.testing.errors import (
    service_error,
)
from pneumatic_async.testing.state import (
    State,
    StoredPerformer,
    StoredTask,
)

__all__ = [
    "can_complete",
    "complete_share",
    "performer_users",
    "performers_for",
    "resolve_performers",
]


def resolve_performers(state: State, task: StoredTask) -> list[StoredPerformer]:
    """The task's performers from its template's raw performers (contract §11.2)."""
    workflow = task.workflow
    users = state.users
    result: list[StoredPerformer] = []
    seen: set[tuple[str, int]] = set()

    def add(kind: str, source_id: int | None) -> None:
        if source_id is None or (kind, source_id) in seen:
            return
        if kind == "user":
            user = users.get(source_id)
            if user is None or user.status == "inactive":
                return
        elif source_id not in state.groups:
            return
        seen.add((kind, source_id))
        result.append(StoredPerformer(type=kind, source_id=source_id))

    for raw in task.template_task.raw_performers:
        kind, source = raw["type"], raw.get("source_id")
        if kind == "user":
            add("user", int_or_none(source))
        elif kind == "group":
            add("group", int_or_none(source))
        elif kind == "workflow_starter":
            if not workflow.is_external:
                add("user", workflow.workflow_starter)
        elif kind == "field":
            value = workflow.field_value(str(source))
            if value is not None:
                add("user", value.user_id)
                add("group", value.group_id)
        elif kind == "manager":
            source_task = workflow.task(str(source))
            for performer in source_task.performers if source_task else []:
                if performer.type == "user" and performer.source_id in users:
                    add("user", users[performer.source_id].manager_id)
    return result


def performer_users(state: State, task: StoredTask) -> set[int]:
    """Ids of the active users who perform the task (groups expanded)."""
    ids: set[int] = set()
    for performer in task.performers:
        if performer.type == "user":
            ids.add(performer.source_id)
        else:
            group = state.groups.get(performer.source_id)
            for user_id in group.user_ids if group else []:
                user = state.users.get(user_id)
                if user is not None and user.status != "inactive":
                    ids.add(user_id)
    return ids


def performers_for(state: State, task: StoredTask, user_id: int) -> list[StoredPerformer]:
    """The caller's performer records (direct or via a group); raises if already done."""
    if user_id in task.group_user_completions:
        raise service_error("You have already completed this task.")
    result = []
    for performer in task.performers:
        if performer.type == "user":
            mine = performer.source_id == user_id
        else:
            group = state.groups.get(performer.source_id)
            mine = group is not None and user_id in group.user_ids
        if mine:
            if performer.is_completed:
                raise service_error("You have already completed this task.")
            result.append(performer)
    return result


def complete_share(state: State, task: StoredTask, user_id: int, now: float) -> None:
    """Record the user's own completion of a task (direct or as a group member)."""
    for performer in task.performers:
        if performer.type == "user" and performer.source_id == user_id:
            performer.is_completed, performer.date_completed = True, now
        elif performer.type == "group":
            group = state.groups.get(performer.source_id)
            if group is not None and user_id in group.user_ids:
                task.group_user_completions[user_id] = now


def can_complete(state: State, task: StoredTask, user_id: int) -> bool:
    """Whether the user's completion finishes the task (``require_completion_by_all``)."""
    if not task.template_task.require_completion_by_all:
        return True
    for performer in task.performers:
        if performer.type == "user":
            if performer.source_id != user_id and not performer.is_completed:
                return False
        else:
            group = state.groups.get(performer.source_id)
            for member in group.user_ids if group else []:
                if member != user_id and member not in task.group_user_completions:
                    return False
    return True
