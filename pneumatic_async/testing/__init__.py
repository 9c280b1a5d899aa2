"""A fake Pneumatic server for tests: :class:`FakePneumatic`.

Importing this package is cheap; the server (Starlette, httpx, the engine) is imported on first
use of :class:`FakePneumatic`::

    from pneumatic_async.testing import FakePneumatic

    fake = FakePneumatic()
    template = fake.add_template(name="Onboarding", tasks=[...])
    async with Pneumatic(transport=fake.transport(), base_url=fake.base_url,
                         api_key=fake.api_key) as client:
        workflow = await client.templates.run(template.id)

The same app serves a fake of the Flowdash Actions API under ``/api/v1``: its store is
``fake.flowdash`` (a :class:`FakeFlowdash`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pneumatic_async.testing._fake import FakePneumatic
    from pneumatic_async.testing.errors import ApiError
    from pneumatic_async.testing.flowdash import FakeFlowdash

__all__ = ["ApiError", "FakeFlowdash", "FakePneumatic"]


def __getattr__(name: str) -> Any:
    """Import the fake lazily."""
    if name == "FakePneumatic":
        from pneumatic_async.testing._fake import FakePneumatic

        return FakePneumatic
    if name == "FakeFlowdash":
        from pneumatic_async.testing.flowdash import FakeFlowdash

        return FakeFlowdash
    if name == "ApiError":
        from pneumatic_async.testing.errors import ApiError

        return ApiError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
