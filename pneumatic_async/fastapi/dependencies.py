"""Building blocks for a hand-written webhook endpoint: :data:`PneumaticEvent` and
:func:`require_token` (the :class:`~pneumatic_async.fastapi.WebhookRouter` does all this and more).

.. code-block:: python

    @app.post("/hooks/pneumatic", dependencies=[require_token("s3cr3t")])
    async def hook(event: PneumaticEvent) -> None:
        if isinstance(event, TaskCompletedEvent):
            ...

A body that is not a Pneumatic event is answered 400 with a JSON error.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from pneumatic_async.errors import InvalidWebhookPayloadError
from pneumatic_async.events import WebhookEvent, parse_event

__all__ = ["PneumaticEvent", "pneumatic_event", "require_token"]


async def pneumatic_event(request: Request) -> WebhookEvent:
    """FastAPI dependency: the request body parsed as a webhook event (400 when it is not one)."""
    body = await request.body()
    try:
        return parse_event(body)
    except InvalidWebhookPayloadError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


#: Annotate an endpoint parameter with this to receive the parsed event.
PneumaticEvent = Annotated[WebhookEvent, Depends(pneumatic_event)]


def require_token(expected: str, *, param: str = "token") -> Any:
    """A dependency refusing (403) requests whose ``?<param>=`` is not ``expected``.

    Compared in constant time. Use it in ``dependencies=[require_token(secret)]``.
    """
    if not expected:
        raise ValueError("require_token needs a non-empty secret")

    async def check(request: Request) -> None:
        given = request.query_params.get(param, "")
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(status_code=403, detail="invalid webhook token")

    return Depends(check)
