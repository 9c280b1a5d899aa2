"""A synchronous client for scripts, notebooks, Django views and task queues.

>>> from pneumatic_async.sync import Pneumatic
>>> with Pneumatic() as client:  # PNEUMATIC_API_KEY from the environment
...     workflow = client.templates.run(42, kickoff={"client-name": "ACME"})
...     for task in client.tasks.list():
...         print(task.id, task.name)

Same namespaces, arguments, models and errors as the async client; see ``docs/sync.md``.
"""

from __future__ import annotations

from pneumatic_async.sync._iterators import SyncPaginator, SyncStream
from pneumatic_async.sync._runner import Backend
from pneumatic_async.sync.clients import Flowdash, Pneumatic

__all__ = ["Backend", "Flowdash", "Pneumatic", "SyncPaginator", "SyncStream"]
