"""A FastAPI service that launches Pneumatic workflows and reacts to Pneumatic's webhooks.

Run it (one client per worker process; the webhook URL is subscribed at startup)::

    export PNEUMATIC_API_KEY=...            # an admin key (subscribing needs one)
    export HOOK_SECRET=$(python -c "import secrets; print(secrets.token_urlsafe(24))")
    export PUBLIC_URL=https://hooks.example.com/hooks/pneumatic   # how Pneumatic reaches this route
    export DELIVERY_DB=/var/lib/myapp/deliveries.sqlite3           # optional: shared by the workers
    uvicorn examples.fastapi_app:app --workers 2

What it does:

* ``POST /launch/{template_id}`` runs a template with the JSON body as kickoff values (a bad value
  answers 422 with one problem per field, an unknown template 404);
* ``GET /workflows/{workflow_id}`` shows a workflow's name and active tasks;
* on ``task_completed`` (inline: a failure answers 500 and Pneumatic retries) it comments on the
  workflow; on ``workflow_started`` (in the background) it welcomes the workflow with a comment.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from pneumatic_async import Pneumatic
from pneumatic_async.events import TaskCompletedEvent, WorkflowStartedEvent
from pneumatic_async.fastapi import (
    DeliveryStore,
    MemoryDeliveryStore,
    PneumaticClient,
    SQLiteDeliveryStore,
    WebhookRouter,
    app_client,
    install_error_handlers,
    pneumatic_lifespan,
)

log = logging.getLogger("example")

store: DeliveryStore = (
    SQLiteDeliveryStore(os.environ["DELIVERY_DB"])
    if os.environ.get("DELIVERY_DB")
    else MemoryDeliveryStore()
)
hooks = WebhookRouter("/hooks/pneumatic", secret=os.environ["HOOK_SECRET"], store=store)


@hooks.on(TaskCompletedEvent)
async def task_completed(event: TaskCompletedEvent, client: Pneumatic) -> None:
    """Inline: the delivery is answered after this returns (500, and retried, if it raises)."""
    task = event.task
    await client.workflows.comment(task.workflow.id, f"Task '{task.name}' was completed.")


@hooks.on(WorkflowStartedEvent, mode="background")
async def workflow_started(event: WorkflowStartedEvent, client: Pneumatic) -> None:
    """Background: the delivery was answered 202 already; shutdown waits for this to finish."""
    await client.workflows.comment(event.workflow.id, f"Welcome, {event.workflow.name}!")


@contextlib.asynccontextmanager
async def own_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """The app's own startup and shutdown, run inside the Pneumatic lifespan."""
    me = await app_client(app).users.me()  # the client is open here
    log.info("serving as %s", me.email)
    yield {"account_user_id": me.id}  # becomes request.state.account_user_id


subscriptions = [hooks.subscription(os.environ["PUBLIC_URL"])] if "PUBLIC_URL" in os.environ else []
app = FastAPI(
    title="Pneumatic example",
    lifespan=pneumatic_lifespan(own_lifespan, client=Pneumatic, webhooks=subscriptions),
)
install_error_handlers(app)
app.include_router(hooks)


@app.post("/launch/{template_id}")
async def launch(
    template_id: int, kickoff: dict[str, Any], client: PneumaticClient
) -> dict[str, Any]:
    """Run a template; SDK errors become HTTP answers (``install_error_handlers``)."""
    workflow = await client.templates.run(template_id, kickoff=kickoff)
    return {"id": workflow.id, "name": workflow.name}


@app.get("/workflows/{workflow_id}")
async def workflow(workflow_id: int, client: PneumaticClient) -> dict[str, Any]:
    """A workflow's name and active tasks (404 when Pneumatic does not know it)."""
    found = await client.workflows.get(workflow_id)
    return {"name": found.name, "active_tasks": [task.name for task in found.active_tasks]}
