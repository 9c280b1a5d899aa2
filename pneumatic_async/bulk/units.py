"""What the launcher is given per item (:class:`Launch`), and how its payload is built.

Both ways of checking a batch (up front, :mod:`~pneumatic_async.bulk.plan`; as it goes,
:mod:`~pneumatic_async.bulk.as_it_goes`) hand the runner a plan: an object whose
:meth:`PlanBase.launches` yields, in input order, a result known without launching (``resumed``,
``invalid``) or a :class:`Launch`. :class:`PlanBase` holds what both build payloads from.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from pneumatic_async import values
from pneumatic_async._encodable import check_encodable
from pneumatic_async._types import NOT_GIVEN
from pneumatic_async.bulk.items import LaunchItem, check_item
from pneumatic_async.bulk.journal import JournalStore, JournalWriter
from pneumatic_async.bulk.options import JournalSpec
from pneumatic_async.bulk.results import LaunchResult
from pneumatic_async.bulk.shared_batch import SharedBatch
from pneumatic_async.bulk.sqlite_journal import SqliteJournalStore
from pneumatic_async.bulk.tokens import DEFAULT_NAME_TEMPLATE, make_token, stamp_name
from pneumatic_async.errors import (
    ConfigurationError,
    FieldProblem,
    InvalidValuesError,
    PermissionDeniedError,
)
from pneumatic_async.pagination import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from pneumatic_async.bulk.client import BulkClient

__all__ = [
    "PLACEHOLDER",
    "TOKEN_FIELD_TYPES",
    "ItemInput",
    "Launch",
    "PlanBase",
    "check_token_field",
    "default_name",
    "item_problems",
    "journal_store",
]

#: Kickoff field types that can carry a launch token.
TOKEN_FIELD_TYPES = frozenset({"string", "text"})
#: Stands in for the token while a kickoff with a ``token_field`` is encoded.
PLACEHOLDER = make_token("b" * 8, 0)

ItemInput = LaunchItem | Mapping[str, Any]


@attrs.define(kw_only=True, slots=True)
class Launch:
    """One item to launch: its payload for ``templates.run`` (``None``: invalid now, launch only
    if lookups show an earlier run did not create it) and what an earlier run recorded."""

    index: int
    item: LaunchItem
    token: str
    payload: dict[str, Any] | None
    #: An earlier run may have sent it: look it up before sending.
    reconcile_first: bool = False
    previous_attempts: int = 0
    #: The result when it is invalid now and the lookups do not find it.
    invalid: LaunchResult | None = None
    #: The item's fingerprint, recorded with each journal update (runs checked as it goes).
    fingerprint: str | None = None


@attrs.define(kw_only=True)
class PlanBase:
    """What every plan holds: the run id and token width, the kickoff specs (``None``: not
    validated), the user emails resolved, the name to stamp, and the journal writer."""

    #: Items known so far (all of them for a plan checked up front).
    count: int
    run_id: str
    width: int
    specs: values.SpecIndex | None
    user_emails: dict[int, str]
    default_name: str | None
    token_field: str | None
    writer: JournalWriter | None = None

    def token(self, index: int) -> str:
        """The launch token of item ``index``."""
        return make_token(self.run_id, index, self.width)

    def launches(self) -> AsyncIterator[LaunchResult | Launch]:
        """Each item in input order: a result known now (resumed, invalid) or a :class:`Launch`."""
        raise NotImplementedError

    def payload(self, item: LaunchItem, token: str, index: int) -> dict[str, Any]:
        """The ``templates.run`` arguments of ``item`` (``InvalidValuesError`` when its kickoff
        values do not encode)."""
        token_field = self.token_field
        if self.specs is not None:
            raw = dict(item.kickoff)
            if token_field is not None:
                raw[token_field] = PLACEHOLDER
            kickoff = dict(
                values.encode_values(
                    self.specs,
                    raw,
                    check_required=True,
                    user_emails=self.user_emails,
                    item=index,
                )
            )
        else:
            kickoff = dict(item.kickoff)
        name = item.name
        if token_field is not None:
            kickoff[token_field] = token
        else:
            name = stamp_name(name if name is not None else (self.default_name or ""), token)
        return {
            "kickoff": kickoff,
            "name": name if name is not None else NOT_GIVEN,
            "is_urgent": item.is_urgent if item.is_urgent is not None else NOT_GIVEN,
            "due_date": item.due_date if item.due_date is not None else NOT_GIVEN,
        }


async def close_on_failure(store: JournalStore | None, opened: bool) -> None:
    """Close a journal opened by a preparation that failed (shielded: it runs on cancellation)."""
    if store is not None and opened:
        with anyio.CancelScope(shield=True):
            await store.close()


@asynccontextmanager
async def running(plan: PlanBase) -> AsyncIterator[None]:
    """The run of a prepared plan: its journal writer is closed after, quietly after a failure
    (never masking the error or the cancellation)."""
    try:
        yield
    except BaseException:
        if plan.writer is not None:
            await plan.writer.aclose(quiet=True)
        raise
    if plan.writer is not None:
        await plan.writer.aclose()


def journal_store(journal: JournalSpec) -> JournalStore:
    """The store of a ``journal`` option: a path means a SQLite file."""
    if isinstance(journal, str | os.PathLike):
        return SqliteJournalStore(journal)
    if isinstance(journal, SharedBatch):  # pragma: no cover - run by bulk.shared instead
        raise TypeError("a SharedBatch is run by pneumatic_async.bulk.shared")
    return journal


async def default_name(client: BulkClient, template_id: int) -> str:
    """The name to stamp for items without one: the template's name template."""
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


def check_token_field(specs: Any, token_field: str) -> None:
    """``ConfigurationError`` unless ``token_field`` is a string/text kickoff field."""
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


def item_problems(
    item: LaunchItem, index: int, token_field: str | None, *, validate: bool
) -> list[FieldProblem]:
    """Problems of one item outside its kickoff values' encoding: its run options, a value in
    the ``token_field``, and (``validate=False``) values JSON cannot carry."""
    found = check_item(item, index)
    if token_field is not None and token_field in item.kickoff:
        found.append(
            FieldProblem(
                field=token_field,
                message="this field carries the launch token (token_field): leave it out",
                item=index,
            )
        )
    if not validate:
        try:  # sent as given, but a value the JSON encoder would choke on is a problem
            check_encodable(item.kickoff, item=index)
        except InvalidValuesError as exc:
            found.extend(exc.problems)
    return found
