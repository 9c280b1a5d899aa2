"""``FakePneumatic``: the user-facing object of the fake Pneumatic server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from pneumatic_async.testing.app import build_app
from pneumatic_async.testing.delivery import WebhookDispatcher
from pneumatic_async.testing.engine import Engine
from pneumatic_async.testing.faults import ConnectionDropped, FaultInjector
from pneumatic_async.testing.file_service import FakeFileService
from pneumatic_async.testing.flowdash import FakeFlowdash
from pneumatic_async.testing.state import (
    State,
    StoredApiKey,
    StoredGroup,
    StoredTemplate,
    StoredUser,
    StoredWorkflow,
)
from pneumatic_async.testing.validation import save_template

__all__ = ["FakePneumatic"]


class _FakeTransport(httpx.AsyncBaseTransport):
    """In-process transport to the fake's app; a dropped connection becomes
    ``httpx.RemoteProtocolError`` like over a socket."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request to the app in-process."""
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()


class FakePneumatic:
    """A stateful in-memory Pneumatic server (a Starlette-routed ASGI app).

    ``FakePneumatic(seed=0, base_url="http://pneumatic.test")`` starts with one account whose
    owner (``fake.owner``, admin) has an API key (``fake.api_key``) and a session token
    (``fake.session_token``). Talk to it in-process::

        fake = FakePneumatic()
        async with Pneumatic(transport=fake.transport(), base_url=fake.base_url,
                             api_key=fake.api_key) as client:
            ...

    or over a socket with ``async with fake.serve() as url:``. Seed state without HTTP through
    :meth:`add_user`, :meth:`add_group`, :meth:`add_api_key` and :meth:`add_template`. Faults
    are injected with ``fake.faults.add(...)``; webhook deliveries go through ``fake.webhooks``
    (also ``fake.dispatcher``; delivered while ``async with fake:`` or ``fake.serve()`` runs, or
    on ``await fake.webhooks.flush()``).

    ``clock`` (epoch seconds, default ``time.time``) drives timestamps, due dates and delays.

    Delays (a template task's ``delay``, a snooze) end like on the real server: a periodic job
    resumes the expired ones every ``delay_job_interval`` seconds (60 by default, counted from
    the fake's creation), so a delay ending at ``t`` resumes at the first run at or after ``t``
    and the task stays snoozed until then. Move the clock past that run, or call
    :meth:`run_delay_job` to run the job at once; ``delay_job_interval=0`` resumes delays
    exactly on time.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        base_url: str = "http://pneumatic.test",
        file_service_url: str | None = None,
        forms_url: str | None = None,
        signed_url_uploads: bool = False,
        clock: Callable[[], float] | None = None,
        delay_job_interval: float = 60.0,
        owner_email: str = "owner@example.com",
        owner_first_name: str = "Olga",
        owner_last_name: str = "Owner",
    ) -> None:
        self.seed = seed
        self.base_url = base_url.rstrip("/")
        self.file_service_url = (file_service_url or f"{self.base_url}/files").rstrip("/")
        self.forms_url = (forms_url or f"{self.base_url}/forms").rstrip("/")
        self.signed_url_uploads = signed_url_uploads
        self.clock: Callable[[], float] = clock or time.time
        self.state = State(seed=seed)
        self.faults = FaultInjector(seed=seed)
        self.webhooks = WebhookDispatcher()
        self.files = FakeFileService(
            file_service_url=self.file_service_url,
            signed_url_uploads=signed_url_uploads,
            seed=seed,
        )
        self.flowdash = FakeFlowdash(seed=seed)
        self.engine = Engine(
            self.state,
            clock=self.now,
            emit=self.emit,
            file_service_url=self.file_service_url,
            delay_job_interval=delay_job_interval,
        )
        self.owner = self.add_user(
            owner_email, owner_first_name, owner_last_name, is_admin=True, is_account_owner=True
        )
        self.api_key: str = self.add_api_key(self.owner).token
        self.session_token: str = self.add_session(self.owner)
        self.app = build_app(self)

    # -- wiring ------------------------------------------------------------------------------

    @property
    def dispatcher(self) -> WebhookDispatcher:
        """The webhook dispatcher (same object as :attr:`webhooks`)."""
        return self.webhooks

    def now(self) -> float:
        """The fake's current time (epoch seconds)."""
        return self.clock()

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process httpx transport to :attr:`app`."""
        return _FakeTransport(self.app)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Any:
        """``async with fake.serve() as base_url:`` — serve over a socket (uvicorn, asyncio)."""
        from pneumatic_async.testing.server import serve

        return serve(self, host, port)

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Hand a webhook event to every hook subscribed to it."""
        for hook in self.state.webhooks.get(event, ()):
            self.webhooks.enqueue(hook, payload)

    async def __aenter__(self) -> Self:
        """Deliver webhooks in the background while the block runs."""
        await self.webhooks.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Deliver what is pending and stop background delivery."""
        await self.webhooks.__aexit__(exc_type, exc, tb)

    # -- fixture builders --------------------------------------------------------------------

    def add_user(
        self,
        email: str,
        first_name: str = "",
        last_name: str = "",
        *,
        is_admin: bool = False,
        is_account_owner: bool = False,
        status: str = "active",
        type: str = "user",
        manager: StoredUser | int | None = None,
        timezone: str = "UTC",
        language: str = "en",
        phone: str | None = None,
    ) -> StoredUser:
        """Add an account user (ids increase from 1)."""
        state = self.state
        if state.user_by_email(email) is not None:
            raise ValueError(f"a user with the email {email!r} exists already")
        user = StoredUser(
            id=state.next_id("user"),
            email=email,
            first_name=first_name,
            last_name=last_name,
            date_joined=self.now(),
            is_admin=is_admin or is_account_owner,
            is_account_owner=is_account_owner,
            status=status,
            type=type,
            timezone=timezone,
            language=language,
            phone=phone,
            manager_id=manager.id if isinstance(manager, StoredUser) else manager,
        )
        if status == "invited":
            user.invite_id = f"{state.rng.getrandbits(128):032x}"
            user.invited_by = state.owner_id or None
        state.users[user.id] = user
        state.users_by_email[email.lower()] = user
        if is_account_owner:
            state.owner_id = user.id
        return user

    def add_group(self, name: str, user_ids: Iterable[int | StoredUser] = ()) -> StoredGroup:
        """Add a user group."""
        ids = [u.id if isinstance(u, StoredUser) else int(u) for u in user_ids]
        group = StoredGroup(id=self.state.next_id("group"), name=name, user_ids=ids)
        self.state.groups[group.id] = group
        return group

    def add_api_key(self, user: StoredUser | int, *, name: str = "") -> StoredApiKey:
        """Create an API key (``pn-`` + 32 url-safe characters) for a user."""
        state = self.state
        user_id = user.id if isinstance(user, StoredUser) else user
        key = StoredApiKey(
            id=state.next_id("api_key"),
            name=name,
            token="pn-" + state.token(32),
            user_id=user_id,
            date_created=self.now(),
        )
        state.api_keys[key.id] = key
        state.api_keys_by_token[key.token] = key
        return key

    def revoke_api_key(self, key: StoredApiKey) -> None:
        """Revoke a key (it stops authenticating at once)."""
        key.is_active = False
        self.state.api_keys_by_token.pop(key.token, None)

    def add_session(self, user: StoredUser | int) -> str:
        """A session (login) token for a user; it works as ``Bearer`` like an API key."""
        token = self.state.token(40)
        self.state.sessions[token] = user.id if isinstance(user, StoredUser) else user
        return token

    def add_template(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        user: StoredUser | None = None,
        **fields: Any,
    ) -> StoredTemplate:
        """Create a template from the JSON ``POST /templates`` accepts (plus keyword fields).

        As a convenience for fixtures, a body without ``is_active`` is active, and missing
        ``owners`` / ``kickoff`` default to the creating user as owner and an empty kickoff.
        Validation errors raise :class:`~pneumatic_async.testing.errors.ApiError`.
        """
        creator = user or self.owner
        body: dict[str, Any] = {**(data or {}), **fields}
        body.setdefault("is_active", True)
        body.setdefault("owners", [{"type": "user", "source_id": creator.id, "role": "owner"}])
        body.setdefault("kickoff", {})
        return save_template(self.state, body, user=creator, now=self.now())

    def run_workflow(
        self, template: StoredTemplate | int, *, user: StoredUser | None = None, **options: Any
    ) -> StoredWorkflow:
        """Run a template as ``POST /templates/<id>/run`` would (``kickoff``, ``name``, ...)."""
        if not isinstance(template, StoredTemplate):
            template = self.state.templates[template]
        return self.engine.run(template, user or self.owner, **options)

    def workflow(self, workflow_id: int) -> StoredWorkflow:
        """A stored workflow by id."""
        return self.state.workflows[workflow_id]

    def advance(self) -> None:
        """Apply the delay job's runs due by now (done before every request too)."""
        self.engine.advance()

    def run_delay_job(self) -> None:
        """Run the delay job now: resume every task whose delay has ended by now."""
        self.engine.run_delay_job()
