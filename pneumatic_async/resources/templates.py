"""``client.templates``: list, get, create, update, delete, fields, steps, run and kickoff specs.

Real-server facts this is built on (``contract.md`` §5):

* ``GET /templates`` answers a bare array without ``limit`` (the paginator always sends one);
  items carry the kickoff fields with selections as plain value strings.
* ``GET/PUT/DELETE /templates/<id>`` need an *admin* template owner (or the account owner);
  ``run`` only needs owner, viewer or starter rights. :meth:`Templates.kickoff_specs` therefore
  falls back to the list when the detail is refused.
* ``POST /templates`` answers **200** with the full template; an active template needs
  ``owners`` with an explicit ``role: "owner"`` entry for the caller and a ``kickoff`` object
  (``{}`` will do), which :meth:`Templates.create` fills in when they are missing.
* ``POST /templates/<id>/run`` answers the full workflow (not the documented
  ``{workflow_id, first_task_performers}``). A launch is never retried after an ambiguous
  failure (5xx, read timeout, dropped connection): the core raises
  :class:`~pneumatic_async.errors.AmbiguousOutcomeError` instead, because the server may have
  created the workflow.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from pneumatic_async import _legacy_forms
from pneumatic_async import values as _values
from pneumatic_async._encodable import check_encodable
from pneumatic_async._ids import object_id
from pneumatic_async._protocol.launch import checked_kickoff, launch_body
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.errors import (
    ConfigurationError,
    PermissionDeniedError,
)
from pneumatic_async.models.templates import (
    NewTemplate,
    Template,
    TemplateFields,
    TemplateListItem,
    TemplateStep,
)
from pneumatic_async.models.workflows import Workflow
from pneumatic_async.resources import _idempotent
from pneumatic_async.resources._base import Resource
from pneumatic_async.resources.users import Users
from pneumatic_async.stores.base import KeyStore
from pneumatic_async.stores.memory import MemoryStore
from pneumatic_async.tokens import DEFAULT_NAME_TEMPLATE

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient
    from pneumatic_async.pagination import Paginator
    from pneumatic_async.values import FieldSpec

__all__ = ["Templates"]

#: Client-cache key prefix of the kickoff specs of a template (``<prefix><template id>``).
KICKOFF_SPECS_CACHE_KEY: Final = "templates.kickoff_specs:"
#: Client-cache key of the id of the API key's user (the default template owner).
CALLER_ID_CACHE_KEY: Final = "templates.caller_id"
#: Client-cache key of the default idempotency store (in memory, one per client).
IDEMPOTENCY_STORE_CACHE_KEY: Final = "templates.idempotency_store"


def _specs_key(template_id: int) -> str:
    """The client-cache key of a template's indexed kickoff fields."""
    return f"{KICKOFF_SPECS_CACHE_KEY}{template_id}"


def _bool_param(value: bool | NotGiven) -> str | None:
    return None if isinstance(value, NotGiven) else ("true" if value else "false")


def _str_param(value: str | NotGiven) -> str | None:
    return None if isinstance(value, NotGiven) else value


class Templates(Resource):
    """Templates: ``client.templates``."""

    __slots__ = ()

    _client: BaseClient

    # -- reading ------------------------------------------------------------------------------

    def list(
        self,
        *,
        is_active: bool | NotGiven = NOT_GIVEN,
        is_public: bool | NotGiven = NOT_GIVEN,
        search: str | NotGiven = NOT_GIVEN,
        ordering: str | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[TemplateListItem]:
        """Iterate the templates the caller owns, views or may start (``GET /templates``).

        Drafts (``is_active=False``) are included unless filtered out. ``ordering`` is one of
        ``name``, ``-name``, ``date``, ``-date``, ``usage``, ``-usage`` (``usage`` orderings add
        ``workflows_count`` to the items); whatever the ordering, the server lists active
        templates first (default: active first, then by id). Even the account owner sees only
        the templates they belong to.
        """
        params = {
            "is_active": _bool_param(is_active),
            "is_public": _bool_param(is_public),
            "search": _str_param(search),
            "ordering": _str_param(ordering),
        }
        return self._paginate(
            "/templates",
            TemplateListItem,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    async def get(self, template_id: int) -> Template:
        """Fetch a template with its kickoff, tasks, conditions (``GET /templates/<id>``).

        On the real server this needs an **admin** who is a template owner (or the account
        owner): others get :class:`~pneumatic_async.errors.PermissionDeniedError` (403, also for
        ids that don't exist). A draft (inactive) template comes back as the raw draft the server
        stored, so most of its keys may have their defaults.
        """
        template_id = object_id(template_id, "template_id")
        return await self._get(f"/templates/{template_id}", Template)

    async def fields(self, template_id: int) -> TemplateFields:
        """Every field of a template, by kickoff and task (``GET /templates/<id>/fields``).

        The items have names, types and api_names but no selections; use :meth:`get` for those.
        """
        template_id = object_id(template_id, "template_id")
        return await self._get(f"/templates/{template_id}/fields", TemplateFields)

    async def steps(self, template_id: int) -> builtins.list[TemplateStep]:
        """The template's tasks as ``{name, number, api_name}`` (``GET /templates/<id>/steps``)."""
        template_id = object_id(template_id, "template_id")
        return await self._get(f"/templates/{template_id}/steps", list[TemplateStep])

    # -- writing ------------------------------------------------------------------------------

    async def create(self, template: Mapping[str, Any] | NewTemplate) -> Template:
        """Create a template (``POST /templates``; the real server answers 200, not 201).

        ``template`` is the JSON body (a mapping) or a
        :class:`~pneumatic_async.models.templates.NewTemplate`. What the real server requires
        of an active template is filled in when missing:

        * no ``owners``: the API key's user becomes the owner (one ``GET /accounts/user`` per
          client, cached); owner entries without a ``role`` get ``role: "owner"`` (the server
          only counts explicit owner roles when it checks that the caller stays an owner);
          the documented ``template_owners: [user ids]`` (ignored by the server) is turned into
          owner entries;
        * no ``kickoff``: ``{}`` (the server rejects an active template without one);
        * the documents' misspelt ``tasks[].checklists[].selecions`` is sent as ``selections``.

        Without ``is_active: true`` the server saves an unvalidated draft and returns it as
        stored.
        """
        body = await self._prepare_body(template)
        return await self._post("/templates", Template, json=body)

    async def update(self, template_id: int, template: Mapping[str, Any] | Template) -> Template:
        """Replace a template (``PUT /templates/<id>``; the server has no PATCH).

        Full replacement: tasks, fields, conditions... left out of the body are deleted (nested
        objects are matched by ``api_name``). A fetched :class:`Template` is accepted as is.
        ``is_active`` falsy turns an active template back into a draft. The same defaults as
        :meth:`create` are filled in. Needs an admin template owner, like :meth:`get`. Running
        workflows are migrated to the new version by the server, asynchronously.
        """
        template_id = object_id(template_id, "template_id")
        body = await self._prepare_body(template)
        path = f"/templates/{template_id}"
        updated: Template = await self._client.put(path, cast_to=Template, json=body)
        self._forget_specs(template_id)
        return updated

    async def delete(self, template_id: int) -> None:
        """Delete a template (``DELETE /templates/<id>``; the server answers 204)."""
        template_id = object_id(template_id, "template_id")
        await self._client.delete(f"/templates/{template_id}")
        self._forget_specs(template_id)

    async def _prepare_body(
        self, template: Mapping[str, Any] | NewTemplate | Template
    ) -> dict[str, Any]:
        """The create/update body with the real server's requirements filled in."""
        from pneumatic_async._converter import unstructure

        if isinstance(template, NewTemplate | Template):
            body: dict[str, Any] = dict(unstructure(template))
        elif isinstance(template, Mapping):
            body = dict(template)
        else:
            raise TypeError(f"template must be a mapping or a NewTemplate, got {template!r}")
        documented_owners = body.pop("template_owners", None)
        if not body.get("owners") and documented_owners:
            body["owners"] = [
                {
                    "type": "user",
                    "source_id": object_id(user_id, "template_owners"),
                    "role": "owner",
                }
                for user_id in documented_owners
            ]
        if body.get("is_active"):
            if not body.get("owners"):
                body["owners"] = [
                    {"type": "user", "source_id": await self._caller_id(), "role": "owner"}
                ]
            body.setdefault("kickoff", {})
            if body["kickoff"] is None:
                body["kickoff"] = {}
        owners = body.get("owners")
        if isinstance(owners, list):
            body["owners"] = [
                {"role": "owner", **owner} if isinstance(owner, Mapping) else owner
                for owner in owners
            ]
        return _legacy_forms.checklist_selections(body)

    async def _caller_id(self) -> int:
        """The id of the API key's user (``client.users.me()``), cached per client."""

        async def load() -> int:
            return (await Users(self._client).me()).id

        return await self._client.cache.get_or_load(CALLER_ID_CACHE_KEY, load)

    # -- running ------------------------------------------------------------------------------

    async def run(
        self,
        template_id: int,
        *,
        kickoff: Mapping[str, Any] | None = None,
        name: str | NotGiven = NOT_GIVEN,
        is_urgent: bool | NotGiven = NOT_GIVEN,
        due_date: datetime | date | float | NotGiven | None = NOT_GIVEN,
        ancestor_task_id: int | NotGiven = NOT_GIVEN,
        validate: bool = True,
        idempotency_key: str | None = None,
        idempotency_store: KeyStore | None = None,
        token_field: str | None = None,
    ) -> Workflow:
        """Launch a workflow from a template (``POST /templates/<id>/run``); returns it in full.

        * ``kickoff``: field api_name → value in the forms :mod:`pneumatic_async.values`
          describes (selection value texts, ``datetime``/``date``/epoch seconds, emails or user
          ids, uploaded files...).
        * ``name``: may contain ``{{variables}}``; the server cuts it to 120 characters (with
          "…") and defaults to the template's name template, else ``"<date> — <template>"``.
        * ``due_date``: an aware ``datetime`` (naive = UTC), a ``date`` or epoch seconds, in the
          future; sent as ``due_date_tsp``. ``None`` sends no due date.
        * ``ancestor_task_id``: launch as an embedded workflow of that (active) task.
        * ``validate`` (default): check and encode the kickoff against the template's fields
          (:meth:`kickoff_specs`, fetched once per client) and the run options, reporting every
          problem at once in :class:`~pneumatic_async.errors.InvalidValuesError` before anything
          is sent. ``False`` sends ``kickoff`` exactly as given.

        Without ``idempotency_key``, never retried after an ambiguous failure: the core raises
        :class:`~pneumatic_async.errors.AmbiguousOutcomeError` (the workflow may exist).

        * ``idempotency_key`` (letters, digits and ``_.:@/+=-``, up to 200): every call with the
          same key and template, in any process on any machine sharing ``idempotency_store``,
          returns the same workflow, launched once (``docs/exactly-once.md``). The key's launch
          token is stamped into the name (``"<name> [<token>]"``, the template's name template
          when ``name`` is not given) or, with ``token_field``, into that string/text kickoff
          field. ``idempotency_store``: a :class:`~pneumatic_async.stores.KeyStore` shared by
          the callers (default: one in memory per client, which covers only this process).
          Raises :class:`~pneumatic_async.stores.KeyBusyError` when another caller holds the key
          for too long, and the launch's error when it was refused (the key stays free).
        """
        template_id = object_id(template_id, "template_id")
        if idempotency_key is not None:
            return await self._run_idempotent(
                template_id,
                idempotency_key,
                idempotency_store,
                token_field,
                kickoff=kickoff,
                name=name,
                is_urgent=is_urgent,
                due_date=due_date,
                ancestor_task_id=ancestor_task_id,
                validate=validate,
            )
        if token_field is not None:
            raise ConfigurationError("token_field is only used with an idempotency_key")
        ancestor = (
            None
            if isinstance(ancestor_task_id, NotGiven)
            else object_id(ancestor_task_id, "ancestor_task_id")
        )
        encoded: Mapping[str, Any] | None = kickoff
        if validate:
            fields = await self._spec_index(template_id)
            raw = dict(kickoff) if kickoff is not None else {}
            user_ids = _values.user_ids_in(fields, raw)
            emails = await Users(self._client).emails_by_id(user_ids) if user_ids else {}
            checked = checked_kickoff(
                fields, raw, emails, name=name, is_urgent=is_urgent, due_date=due_date
            )
            encoded = checked if kickoff is not None else None
        elif kickoff is not None:
            check_encodable(kickoff)
        body = launch_body(
            kickoff=encoded,
            name=name,
            is_urgent=is_urgent,
            due_date=due_date,
            ancestor_task_id=ancestor,
        )
        launched: Workflow = await self._client.request(
            "POST", f"/templates/{template_id}/run", json=body, cast_to=Workflow
        )
        return launched

    async def _run_idempotent(
        self,
        template_id: int,
        key: str,
        store: KeyStore | None,
        token_field: str | None,
        **options: Any,
    ) -> Workflow:
        if store is None:  # one in-memory store per client (and its with_options views)
            store = self._client.cache.get(IDEMPOTENCY_STORE_CACHE_KEY)
            if store is None:
                store = MemoryStore()
                self._client.cache.set(IDEMPOTENCY_STORE_CACHE_KEY, store)
        return await _idempotent.run_idempotent(
            self._client,
            template_id,
            key,
            store,
            token_field,
            run=self.run,
            name_template=self._name_template,
            **options,
        )

    async def _name_template(self, template_id: int) -> str:
        """The template's workflow name template (the server's default when it has none)."""
        try:
            found = (await self.get(template_id)).wf_name_template
        except PermissionDeniedError:
            # The detail needs an admin template owner; starters find the template in the list.
            found = None
            async for listed in self.list(page_size=100):
                if listed.id == template_id:
                    found = listed.wf_name_template
                    break
        return found or DEFAULT_NAME_TEMPLATE

    async def kickoff_specs(
        self, template_id: int, *, refresh: bool = False
    ) -> builtins.list[FieldSpec]:
        """The template's kickoff fields as validation needs them, cached per client.

        Fetched with ``GET /templates/<id>`` (selections with their api_names). That needs an
        admin template owner on the real server; when it answers 403 the template is looked up in
        ``GET /templates`` instead (visible to owners, viewers and starters, who may all run it;
        selections are then value texts only). Later calls, from any task of the client and its
        ``with_options`` views, reuse the result (concurrent first calls fetch once), so launching
        10,000 workflows reads the template once. ``refresh=True`` fetches again (after the
        template changed); :meth:`update` and :meth:`delete` forget the cached entry.
        """
        template_id = object_id(template_id, "template_id")
        if refresh:
            self._forget_specs(template_id)
        return list((await self._spec_index(template_id)).specs)

    async def _spec_index(self, template_id: int) -> _values.SpecIndex:
        """The template's kickoff specs, indexed (cached per client; a hit awaits nothing)."""
        key = _specs_key(template_id)
        index: _values.SpecIndex | None = self._client.cache.get(key)
        if index is not None:
            return index

        async def load() -> _values.SpecIndex:
            return _values.SpecIndex(await self._fetch_specs(template_id))

        return await self._client.cache.get_or_load(key, load)

    async def _fetch_specs(self, template_id: int) -> builtins.list[FieldSpec]:
        try:
            template = await self.get(template_id)
        except PermissionDeniedError as denied:
            async for item in self.list(page_size=1000):
                if item.id == template_id:
                    return _values.specs_from_list_item(item)
            raise denied
        return _values.specs_from_template(template)

    def _forget_specs(self, template_id: int) -> None:
        self._client.cache.pop(_specs_key(template_id))
