"""Idempotent single launches: ``client.templates.run(..., idempotency_key=...)``.

The protocol (``docs/exactly-once.md``): the key, scoped to the template, derives a launch token
(:func:`pneumatic_async.tokens.key_token`), stamped into the workflow name (or the ``token_field``
kickoff field) as bulk runs stamp theirs. The caller takes a lease on the key in a shared
:class:`~pneumatic_async.stores.KeyStore`, renews it while it works, looks the token up on the
server, launches only if no workflow carries it, and records the workflow id. Other callers with
the same key get the recorded workflow, or wait while a live lease is held; when a holder dies,
its lease expires and the next caller settles the key by the lookup before launching.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.errors import (
    APIStatusError,
    ConfigurationError,
    InvalidValuesError,
    PneumaticError,
    RateLimitError,
)
from pneumatic_async.models.workflows import Workflow, WorkflowListItem
from pneumatic_async.resources.workflows import Workflows
from pneumatic_async.retries import backoff_delay
from pneumatic_async.stores.base import (
    DEFAULT_LEASE,
    KeyBusyError,
    KeyStore,
    check_name,
    new_owner,
)
from pneumatic_async.tokens import has_token, key_token, stamp_name

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient

__all__ = [
    "LOOKUP_MAX_ITEMS",
    "LOOKUP_PAGE_SIZE",
    "find_token",
    "oldest_carrier",
    "run_idempotent",
    "run_once",
    "store_key",
]

logger = logging.getLogger("pneumatic_async.launch")

#: Workflows read per token lookup, at most (the token's own workflow ranks first).
LOOKUP_MAX_ITEMS = 100
#: Page size of a token lookup.
LOOKUP_PAGE_SIZE = 20
#: How long a caller waits for another caller's live lease on the same key, in leases.
WAIT_LEASES = 4
_POLL_MIN, _POLL_MAX = 0.02, 1.0


def store_key(template_id: int, key: str) -> str:
    """The store key of idempotency key ``key`` of template ``template_id``."""
    return f"launch:{int(template_id)}:{check_name('idempotency_key', key)}"


async def find_token(
    client: BaseClient, template_id: int, token: str, token_field: str | None
) -> WorkflowListItem | None:
    """The workflow of ``template_id`` carrying ``token`` (the oldest if several), or ``None``."""
    listing = Workflows(client).list(
        template_id=template_id,
        search=token,
        fields=[token_field] if token_field is not None else NOT_GIVEN,
        page_size=LOOKUP_PAGE_SIZE,
        max_items=LOOKUP_MAX_ITEMS,
    )
    return await oldest_carrier(listing, token, token_field, template_id)


async def oldest_carrier(
    listing: AsyncIterable[WorkflowListItem], token: str, token_field: str | None, template_id: int
) -> WorkflowListItem | None:
    """The oldest workflow of ``listing`` (a token search) that carries ``token`` in its name, or
    in its ``token_field`` value, and belongs to ``template_id``; ``None`` when none does."""
    matches: list[WorkflowListItem] = []
    async for workflow in listing:
        if token_field is None:
            carried = has_token(workflow.name, token)
        else:
            carried = any(
                field.api_name == token_field and has_token(field.value, token)
                for field in workflow.fields
            )
        if carried and (workflow.template is None or workflow.template.id == template_id):
            matches.append(workflow)
    if not matches:
        return None
    if len(matches) > 1:
        logger.warning(
            "launch token %s is carried by %d workflows: %s",
            token,
            len(matches),
            sorted(w.id for w in matches),
        )
    return min(matches, key=lambda w: w.id)


async def run_idempotent(
    client: BaseClient,
    template_id: int,
    key: str,
    store: KeyStore,
    token_field: str | None,
    *,
    run: Callable[..., Awaitable[Workflow]],
    name_template: Callable[[int], Awaitable[str]],
    kickoff: Mapping[str, Any] | None,
    name: str | NotGiven,
    **options: Any,
) -> Workflow:
    """``templates.run(template_id, ..., idempotency_key=key)``: stamp the key's token into the
    name (or ``token_field``) and launch with ``run`` (``templates.run`` without a key) through
    :func:`run_once`; ``name_template`` gives the template's name template."""
    store_key(template_id, key)  # check the key before any request
    if not isinstance(store, KeyStore):
        raise ConfigurationError(f"idempotency_store must be a KeyStore, got {store!r}")
    if token_field is not None and (not isinstance(token_field, str) or not token_field):
        raise ConfigurationError(
            f"token_field must be a kickoff field api_name, got {token_field!r}"
        )
    if token_field is not None and token_field in (kickoff or {}):
        raise ConfigurationError(
            f"kickoff must not set {token_field!r}: it carries the launch token (token_field)"
        )
    base_name = name
    if token_field is None and isinstance(base_name, NotGiven):
        base_name = await name_template(template_id)

    async def send(token: str) -> Workflow:
        if token_field is not None:
            stamped = {**(kickoff or {}), token_field: token}
            return await run(template_id, kickoff=stamped, name=name, **options)
        assert isinstance(base_name, str)
        return await run(template_id, kickoff=kickoff, name=stamp_name(base_name, token), **options)

    return await run_once(client, template_id, key, store, token_field=token_field, send=send)


async def run_once(
    client: BaseClient,
    template_id: int,
    key: str,
    store: KeyStore,
    *,
    token_field: str | None,
    send: Callable[[str], Awaitable[Workflow]],
    lease: float = DEFAULT_LEASE,
) -> Workflow:
    """The workflow of idempotency key ``key``: recorded, found by its token, or launched by
    ``send(token)`` (which stamps the token and posts the launch) exactly once."""
    skey = store_key(template_id, key)
    token = key_token(skey)
    owner = new_owner()
    started = time.monotonic()
    poll = _POLL_MIN
    while True:
        claim = await store.claim_key(skey, owner=owner, lease=lease)
        if claim.status == "done":
            assert claim.result is not None
            return await Workflows(client).get(int(claim.result))
        if claim.status == "acquired":
            break
        waited = time.monotonic() - started
        if waited > WAIT_LEASES * lease:
            raise KeyBusyError(key, waited)
        await anyio.sleep(min(max(claim.retry_in, _POLL_MIN), poll))
        poll = min(poll * 2, _POLL_MAX)

    settled: list[tuple[int, Workflow | None]] = []
    failed: list[PneumaticError] = []

    async def work() -> None:
        try:
            settled.append(await _settle(client, template_id, token, token_field, send))
        except PneumaticError as exc:
            failed.append(exc)
        finally:
            tg.cancel_scope.cancel()  # stop renewing

    async with anyio.create_task_group() as tg:
        tg.start_soon(_renew, store, skey, owner, lease)
        tg.start_soon(work)
    if failed:
        error = failed[0]
        if isinstance(error, _Rejected):  # clearly not launched: the next caller may try
            await store.release_key(skey, owner=owner)
            raise error.error from None
        # The outcome is unknown: keep the lease until it expires; whoever claims the key next
        # looks the token up first.
        raise error
    workflow_id, workflow = settled[0]
    await store.complete_key(skey, owner=owner, result=str(workflow_id))
    return workflow if workflow is not None else await Workflows(client).get(workflow_id)


async def _renew(store: KeyStore, skey: str, owner: str, lease: float) -> None:
    while True:
        await anyio.sleep(lease / 3)
        try:
            await store.claim_key(skey, owner=owner, lease=lease)
        except PneumaticError:
            logger.warning("could not renew the lease on %s", skey, exc_info=True)


async def _settle(
    client: BaseClient,
    template_id: int,
    token: str,
    token_field: str | None,
    send: Callable[[str], Awaitable[Workflow]],
) -> tuple[int, Workflow | None]:
    """Look the token up, launch when absent; ``(workflow id, workflow or None)``."""
    found = await find_token(client, template_id, token, token_field)
    if found is not None:
        return found.id, None
    policy = client.retry_policy
    attempt = 0
    while True:
        attempt += 1
        try:
            workflow = await send(token)
        except (InvalidValuesError, ConfigurationError) as exc:
            raise _Rejected(exc) from exc  # refused before sending
        except (RateLimitError, APIStatusError) as exc:
            if isinstance(exc, RateLimitError) or exc.status_code < 500:
                raise _Rejected(exc) from exc  # nothing was created
            launch_error: PneumaticError = exc
        except PneumaticError as exc:
            launch_error = exc  # the outcome is unknown
        else:
            return workflow.id, workflow
        await anyio.sleep(backoff_delay(policy, attempt))
        found = await find_token(client, template_id, token, token_field)
        if found is not None:
            return found.id, None
        if attempt >= policy.max_attempts:
            raise launch_error
        logger.info("launch %s not found after %s; sending it again", token, launch_error)


class _Rejected(PneumaticError):
    """The launch was clearly refused (nothing was created): ``error`` says why."""

    def __init__(self, error: PneumaticError) -> None:
        super().__init__(str(error))
        self.error = error
