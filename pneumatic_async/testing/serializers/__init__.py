"""JSON shapes of the fake server's objects, key for key as the real server renders them, one
module per API area: ``templates``, ``workflows``, ``tasks``, ``events``, ``accounts``.

One function per shape; they read the store's objects and build fresh dicts (nothing is cached,
nothing in the store is handed out for mutation).
"""

from __future__ import annotations

from pneumatic_async.testing.serializers.accounts import (
    api_key_item,
    group_item,
    user_item,
)
from pneumatic_async.testing.serializers.events import (
    delay_json,
    event_item,
    event_task_json,
)
from pneumatic_async.testing.serializers.tasks import (
    revert_targets,
    task_list_item,
    task_object,
    user_completed,
)
from pneumatic_async.testing.serializers.templates import (
    iso_offset,
    template_detail,
    template_fields,
    template_list_item,
    template_steps,
)
from pneumatic_async.testing.serializers.workflows import (
    checklist_counts,
    current_delay,
    delay_snapshot,
    field_value,
    field_value_list,
    performer_json,
    sorted_values,
    workflow_details,
    workflow_fields_item,
    workflow_list_item,
    workflow_short,
    workflow_task,
)

__all__ = [
    "api_key_item",
    "checklist_counts",
    "current_delay",
    "delay_json",
    "delay_snapshot",
    "event_item",
    "event_task_json",
    "field_value",
    "field_value_list",
    "group_item",
    "iso_offset",
    "performer_json",
    "revert_targets",
    "sorted_values",
    "task_list_item",
    "task_object",
    "template_detail",
    "template_fields",
    "template_list_item",
    "template_steps",
    "user_completed",
    "user_item",
    "workflow_details",
    "workflow_fields_item",
    "workflow_list_item",
    "workflow_short",
    "workflow_task",
]
