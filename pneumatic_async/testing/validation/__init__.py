"""Template create/update as the real server validates it (contract §5.4).

:func:`save_template` turns a ``POST /templates`` / ``PUT /templates/<id>`` body into a
:class:`~pneumatic_async.testing.state.Template` stored in the state, or raises the first
validation error as :class:`~pneumatic_async.testing.errors.ApiError`:

* falsy ``is_active`` → saved as a draft without validation (the raw JSON is kept);
* otherwise: name → ``wf_name_template`` variables → tasks (present, numbered 1..N, revert
  targets) → kickoff present → owners → then, after the template id is taken (like the real
  server, which creates the row before validating nested objects), fields, performers,
  conditions, delays, due dates and variables of every task.

One module per section: ``template`` (the whole body, drafts, owners), ``fields``, ``tasks``,
``performers``, ``conditions``; shared constants and helpers in ``_common``.
"""

from __future__ import annotations

from pneumatic_async.testing.validation._common import FIELD_TYPES
from pneumatic_async.testing.validation.template import save_template

__all__ = ["FIELD_TYPES", "save_template"]
