"""Preparing a bulk run: validate every item, open the journal, build each item's launch payload.

Nothing is sent before :func:`prepared` has checked every item (all problems of all items are
raised together as one :class:`~pneumatic_async.errors.InvalidValuesError`, ``FieldProblem.item``
being the index, unless ``skip_invalid``) and the journal (if any) is open and checked.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from pneumatic_async._encodable import check_encodable
from pneumatic_async._types import NOT_GIVEN
from pneumatic_async.bulk.items import LaunchItem, check_item, fingerprint, normalize_items
from pneumatic_async.bulk.journal import (
    Binding,
    ItemState,
    JournalEntry,
    JournalStore,
    JournalWriter,
)
from pneumatic_async.bulk.options import BatchOptions, JournalSpec
from pneumatic_async.bulk.results import LaunchResult
from pneumatic_async.bulk.sqlite_journal import SqliteJournalStore
from pneumatic_async.bulk.tokens import (
    DEFAULT_NAME_TEMPLATE,
    index_width,
    make_token,
    new_run_id,
    stamp_name,
)
from pneumatic_async.errors import (
    ConfigurationError,
    FieldProblem,
    InvalidValuesError,
    PermissionDeniedError,
)
from pneumatic_async.pagination import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from pneumatic_async.bulk.client import BulkClient

__all__ = ["Plan", "journal_store", "prepared"]

#: Kickoff field types that can carry a launch token.
TOKEN_FIELD_TYPES = frozenset({"string", "text"})

ItemInput = LaunchItem | Mapping[str, Any]


@attrs.define(kw_only=True)
class Plan:
    """A validated batch, ready to launch."""

    items: list[LaunchItem]
    tokens: list[str]
    #: Keyword arguments for ``templates.run`` per item (``None``: invalid item).
    payloads: list[dict[str, Any] | None]
    #: Results known before launching (invalid items, items launched by a previous run).
    ready: list[LaunchResult]
    #: Indexes to launch, in input order.
    todo: list[int]
    #: Indexes a previous run may have sent: look them up before sending.
    reconcile_first: set[int]
    #: Launch attempts made by previous runs, per index.
    previous_attempts: dict[int, int]
    #: Items an earlier run may have sent that are invalid now: reported so unless found.
    invalid_after_lookup: dict[int, LaunchResult]
    writer: JournalWriter | None


def journal_store(journal: JournalSpec) -> JournalStore:
    """The store of a ``journal`` option: a path means a SQLite file."""
    if isinstance(journal, str | os.PathLike):
        return SqliteJournalStore(journal)
    return journal


@asynccontextmanager
async def prepared(
    client: BulkClient, template_id: int, options: BatchOptions, items: Iterable[ItemInput]
) -> AsyncIterator[Plan]:
    """Validate ``items``, open the journal, and yield the plan (closing the journal after)."""
    launch_items = normalize_items(items)
    binding = Binding(
        template_id=template_id,
        item_count=len(launch_items),
        items_hash=fingerprint(launch_items),
        token_field=options.token_field,
    )
    store = journal_store(options.journal) if options.journal is not None else None
    run_id: str | None = None
    opened = False
    try:
        recorded: dict[int, JournalEntry] = {}
        if store is not None:
            # Refuse a mismatching, damaged or locked journal before any validation request.
            run_id = await store.open(binding, create=False)
            opened = run_id is not None
            if opened:
                recorded = {entry.index: entry async for entry in store.recorded()}
        # Items an earlier run launched are not checked again (a due date may have passed).
        launched = {i for i, entry in recorded.items() if entry.state is ItemState.LAUNCHED}
        attempted = {i for i, entry in recorded.items() if entry.attempts > 0}
        problems, kickoffs = await _validate(
            client, template_id, options, launch_items, skip=launched
        )
        # Problems of items an earlier run may have sent do not block the run: they are
        # looked up first and reported invalid only if the server does not have them.
        blocking = [p for i, found in problems.items() if i not in attempted for p in found]
        if blocking and not options.skip_invalid:
            raise InvalidValuesError(blocking)
        if store is not None and not opened:
            run_id = await store.open(binding, create=True)
            opened = True
        run_id = run_id or new_run_id()
        width = index_width(len(launch_items))
        tokens = [make_token(run_id, index, width) for index in range(len(launch_items))]
        default_name = await _default_name(client, template_id, options, launch_items)
        plan = _plan(options, launch_items, tokens, problems, kickoffs, default_name, recorded)
        plan.writer = JournalWriter(store) if store is not None else None
    except BaseException:
        if store is not None and opened:
            with anyio.CancelScope(shield=True):
                await store.close()
        raise
    try:
        yield plan
    except BaseException:
        if plan.writer is not None:
            await plan.writer.aclose(quiet=True)  # never mask the error or cancellation
        raise
    if plan.writer is not None:
        await plan.writer.aclose()


async def _validate(
    client: BulkClient,
    template_id: int,
    options: BatchOptions,
    items: list[LaunchItem],
    *,
    skip: set[int],
) -> tuple[dict[int, list[FieldProblem]], list[dict[str, Any]]]:
    """Problems per bad item, and every item's kickoff as it will be sent (items in ``skip``
    are not checked)."""
    token_field = options.token_field
    problems: dict[int, list[FieldProblem]] = {}
    for index, item in enumerate(items):
        if index in skip:
            continue
        found = check_item(item, index)
        if token_field is not None and token_field in item.kickoff:
            found.append(
                FieldProblem(
                    field=token_field,
                    message="this field carries the launch token (token_field): leave it out",
                    item=index,
                )
            )
        if found:
            problems[index] = found
    if not options.validate:
        for index, item in enumerate(items):
            if index in skip:
                continue
            try:  # sent as given, but a value the JSON encoder would choke on is a problem
                check_encodable(item.kickoff, item=index)
            except InvalidValuesError as exc:
                problems.setdefault(index, []).extend(exc.problems)
        return problems, [dict(item.kickoff) for item in items]

    from pneumatic_async import values

    specs = await client.templates.kickoff_specs(template_id)
    if token_field is not None:
        _check_token_field(specs, token_field)
    user_ids: set[int] = set()
    for index, item in enumerate(items):
        if index not in skip:
            user_ids.update(values.user_ids_in(specs, item.kickoff))
    user_emails = await client.users.emails_by_id(user_ids) if user_ids else {}
    kickoffs: list[dict[str, Any]] = []
    placeholder = make_token("b" * 8, 0)
    for index, item in enumerate(items):
        raw = dict(item.kickoff)
        if index in skip:
            kickoffs.append(raw)
            continue
        if token_field is not None:
            raw[token_field] = placeholder  # the real token replaces it after encoding
        try:
            encoded = values.encode_values(
                specs, raw, check_required=True, user_emails=user_emails, item=index
            )
        except InvalidValuesError as exc:
            problems.setdefault(index, []).extend(exc.problems)
            encoded = {}
        kickoffs.append(dict(encoded))
    return problems, kickoffs


async def _default_name(
    client: BulkClient, template_id: int, options: BatchOptions, items: list[LaunchItem]
) -> str | None:
    """The name to stamp for items without one (``None`` when no item needs it)."""
    if options.token_field is not None or all(item.name is not None for item in items):
        return None
    templates = client.templates
    try:
        name_template = (await templates.get(template_id)).wf_name_template
    except PermissionDeniedError:
        # The detail needs an admin template owner; starters find the template in the list.
        name_template = None
        async for listed in templates.list(page_size=MAX_PAGE_SIZE):
            if listed.id == template_id:
                name_template = listed.wf_name_template
                break
    return name_template or DEFAULT_NAME_TEMPLATE


def _plan(
    options: BatchOptions,
    items: list[LaunchItem],
    tokens: list[str],
    problems: dict[int, list[FieldProblem]],
    kickoffs: list[dict[str, Any]],
    default_name: str | None,
    recorded: dict[int, JournalEntry],
) -> Plan:
    token_field = options.token_field
    plan = Plan(
        items=items,
        tokens=tokens,
        payloads=[None] * len(items),
        ready=[],
        todo=[],
        reconcile_first=set(),
        previous_attempts={},
        invalid_after_lookup={},
        writer=None,
    )
    for index, item in enumerate(items):
        token = tokens[index]
        entry = recorded.get(index)
        if entry is not None and entry.state is ItemState.LAUNCHED:
            plan.ready.append(
                LaunchResult(
                    index=index,
                    item=item,
                    status="resumed",
                    token=token,
                    workflow_id=entry.workflow_id,
                )
            )
            continue
        attempted = entry is not None and entry.attempts > 0
        if entry is not None and attempted:
            plan.reconcile_first.add(index)
            plan.previous_attempts[index] = entry.attempts
        if index in problems:
            invalid = LaunchResult(
                index=index,
                item=item,
                status="invalid",
                token=token,
                error=InvalidValuesError(problems[index]),
            )
            if attempted:
                plan.invalid_after_lookup[index] = invalid
                plan.todo.append(index)
            else:
                plan.ready.append(invalid)
            continue
        kickoff = kickoffs[index]
        name = item.name
        if token_field is not None:
            kickoff[token_field] = token
        else:
            name = stamp_name(name if name is not None else (default_name or ""), token)
        payload: dict[str, Any] = {
            "kickoff": kickoff,
            "name": name if name is not None else NOT_GIVEN,
            "is_urgent": item.is_urgent if item.is_urgent is not None else NOT_GIVEN,
            "due_date": item.due_date if item.due_date is not None else NOT_GIVEN,
        }
        plan.payloads[index] = payload
        plan.todo.append(index)
    return plan


def _check_token_field(specs: Any, token_field: str) -> None:
    from pneumatic_async import values

    spec = values.find_spec(specs, token_field)
    if spec is None:
        raise ConfigurationError(
            f"token_field {token_field!r} is not a kickoff field of the template"
        )
    field_type = str(spec.type)
    if field_type not in TOKEN_FIELD_TYPES:
        raise ConfigurationError(
            f"token_field {token_field!r} is a {field_type!r} field; the launch token needs a "
            "string or text field"
        )
