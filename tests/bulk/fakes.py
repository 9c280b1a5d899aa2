"""A small scripted stand-in for ``Pneumatic`` used by the bulk engine's unit tests.

It implements only what the bulk runner calls (``retry_policy``, ``templates.get/run``,
``workflows.list``) and lets a test decide, per launch attempt, what the "server" does: create
the workflow or not, and answer normally, ambiguously (5xx / dropped connection), with an
undecodable 2xx body, a 400 or an exhausted 429. Lookups search the created workflows' names
(or a kickoff field) for the token as a whole word, like the real server's full-text search.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
import httpx

from pneumatic_async._types import NotGiven
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    BadRequestError,
    InternalServerError,
    PermissionDeniedError,
    PneumaticError,
    RateLimitError,
    ResponseValidationError,
)
from pneumatic_async.models.common import TaskField
from pneumatic_async.models.templates import Template, TemplateListItem
from pneumatic_async.models.workflows import (
    TaskFieldList,
    Workflow,
    WorkflowKickoff,
    WorkflowListItem,
    WorkflowTemplate,
)
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.values import FieldSpec

#: What the server does with one launch attempt: (applied, answer) where answer is "ok",
#: "ambiguous" (5xx), "drop" (connection lost after sending), "undecodable", "reject" (400),
#: "rate_limited" (429 after the client's retries) or "not_sent" (connection refused).
Outcome = tuple[bool, str]
Script = Callable[[int, int], Outcome]  # (item number parsed from the token, attempt) -> outcome

PATH = "/templates/{id}/run"
T = TypeVar("T")


def always_ok(_item: int, _attempt: int) -> Outcome:
    return True, "ok"


class FakeServer:
    """The state: created workflows, and a record of every launch and lookup."""

    def __init__(self, *, template_id: int = 7, wf_name_template: str | None = None) -> None:
        self.template_id = template_id
        self.wf_name_template = wf_name_template
        self.workflows: list[WorkflowListItem] = []
        self.kickoffs: dict[int, dict[str, Any]] = {}
        self.launches: list[dict[str, Any]] = []
        self.lookups: list[str] = []
        self.probes = 0
        #: The server is unreachable: every request is refused (not sent).
        self.down = False
        #: Launches applied later (the lookup race): (commit time, name, kickoff).
        self.late_commits: list[tuple[float, str, dict[str, Any]]] = []
        #: Seconds after a "drop_commit_later" answer before the workflow exists.
        self.commit_delay = 0.0
        self.script: Script = always_ok
        self.lookup_error: PneumaticError | None = None
        self.latency = 0.0
        #: ``(sent, release)``: each launch sets ``sent`` and waits for ``release`` (a test's gate).
        self.gate: tuple[anyio.Event, anyio.Event] | None = None
        self._attempts: dict[str, int] = {}
        self.template_gets = 0
        self.specs: list[FieldSpec] = []
        #: The caller is no admin template owner: ``GET /templates/<id>`` answers 403.
        self.detail_forbidden = False
        self.spec_fetches = 0

    def commit_due(self) -> None:
        """Apply the late commits whose time has come."""
        now = anyio.current_time()
        due = [c for c in self.late_commits if c[0] <= now]
        self.late_commits = [c for c in self.late_commits if c[0] > now]
        for _, name, kickoff in due:
            self.create(name, kickoff)

    def create(self, name: str, kickoff: dict[str, Any]) -> Workflow:
        workflow_id = len(self.workflows) + 1
        fields = [
            TaskFieldList(id=100 + i, api_name=key, name=key, type="string", value=str(value))
            for i, (key, value) in enumerate(kickoff.items())
        ]
        template = WorkflowTemplate(id=self.template_id, name="T", is_active=True)
        created = datetime.now(UTC)
        self.workflows.append(
            WorkflowListItem(
                id=workflow_id,
                name=name,
                status=0,
                date_created_tsp=created,
                template=template,
                fields=fields,
            )
        )
        self.kickoffs[workflow_id] = kickoff
        output = [
            TaskField(id=100 + i, api_name=key, name=key, type="string", value=str(value))
            for i, (key, value) in enumerate(kickoff.items())
        ]
        return Workflow(
            id=workflow_id,
            name=name,
            status=0,
            date_created_tsp=created,
            kickoff=WorkflowKickoff(id=workflow_id, output=output),
        )


class _Templates:
    def __init__(self, server: FakeServer, token_of: Callable[[dict[str, Any]], str]) -> None:
        self._server = server
        self._token_of = token_of

    async def kickoff_specs(self, template_id: int) -> list[FieldSpec]:
        self._server.spec_fetches += 1
        return list(self._server.specs)

    async def get(self, template_id: int) -> Template:
        self._server.template_gets += 1
        if self._server.detail_forbidden:
            raise PermissionDeniedError(
                "You do not have permission to perform this action.",
                status_code=403,
                method="GET",
                path=f"/templates/{template_id}",
            )
        return Template(
            id=template_id,
            is_active=True,
            name="Onboarding",
            wf_name_template=self._server.wf_name_template,
        )

    def list(self, *, page_size: int) -> AsyncIterator[TemplateListItem]:
        server = self._server
        listed = [
            TemplateListItem(id=server.template_id + 1, name="Other", is_active=True),
            TemplateListItem(
                id=server.template_id,
                name="Onboarding",
                is_active=True,
                wf_name_template=server.wf_name_template,
            ),
        ]
        return _Listing(lambda: listed)

    async def run(
        self,
        template_id: int,
        *,
        kickoff: dict[str, Any],
        name: str | NotGiven,
        is_urgent: bool | NotGiven,
        due_date: Any,
        validate: bool,
    ) -> Workflow:
        server = self._server
        assert template_id == server.template_id
        assert validate is False
        if server.down:
            raise APIConnectionError(
                "ConnectError", method="POST", path=PATH, may_have_been_sent=False
            )
        body = {"kickoff": kickoff, "name": name, "is_urgent": is_urgent, "due_date": due_date}
        server.launches.append(body)
        if server.gate is not None:
            sent, release = server.gate
            sent.set()
            await release.wait()
        if server.latency:
            await anyio.sleep(server.latency)
        else:
            await anyio.lowlevel.checkpoint()
        token = self._token_of(body)
        attempt = server._attempts.get(token, 0) + 1
        server._attempts[token] = attempt
        number = int(re.sub(r"^[a-z]+", "", token))
        applied, answer = server.script(number, attempt)
        path = PATH.format(id=template_id)
        workflow = None
        if applied:
            workflow = server.create(name if isinstance(name, str) else "", dict(kickoff))
        if answer == "ok":
            assert workflow is not None
            return workflow
        if answer == "untrusted":  # 200 with a workflow that is not this launch's
            return Workflow(
                id=10_000 + attempt,
                name="Someone else's",
                status=0,
                date_created_tsp=datetime.now(UTC),
            )
        if answer == "drop_commit_later":  # dropped now, committed commit_delay seconds later
            body_name = name if isinstance(name, str) else ""
            server.late_commits.append(
                (anyio.current_time() + server.commit_delay, body_name, dict(kickoff))
            )
            cause = APIConnectionError("RemoteProtocolError", method="POST", path=path)
            raise AmbiguousOutcomeError(
                "outcome unknown", method="POST", path=path, attempts=1, cause=cause
            )
        if answer == "ambiguous":
            server_error = InternalServerError(
                "Server Error (500)", status_code=500, method="POST", path=path
            )
            raise AmbiguousOutcomeError(
                "outcome unknown", method="POST", path=path, attempts=1, cause=server_error
            )
        if answer == "drop":
            cause = APIConnectionError("RemoteProtocolError", method="POST", path=path)
            raise AmbiguousOutcomeError(
                "outcome unknown", method="POST", path=path, attempts=1, cause=cause
            )
        if answer == "undecodable":
            raise ResponseValidationError(
                "not JSON", field_path="$", model="JSON", method="POST", path=path
            )
        if answer == "reject":
            raise BadRequestError(
                "Please fill in the required fields.",
                status_code=400,
                method="POST",
                path=path,
                code="validation_error",
                details={"api_name": "client", "reason": "required"},
            )
        if answer == "rate_limited":
            raise RateLimitError(
                "throttled", retry_after=0.0, status_code=429, method="POST", path=path
            )
        if answer == "not_sent":
            raise APIConnectionError(
                "ConnectError", method="POST", path=path, may_have_been_sent=False
            )
        raise AssertionError(answer)


class _Listing(AsyncIterator[T]):
    """Like the SDK's ``Paginator``: a plain async iterator (leaving it early needs no cleanup);
    the items are computed on the first ``__anext__``."""

    def __init__(self, produce: Callable[[], list[T]]) -> None:
        self._produce = produce
        self._items: list[T] | None = None

    def __aiter__(self) -> _Listing[T]:
        return self

    async def __anext__(self) -> T:
        await anyio.lowlevel.checkpoint()
        if self._items is None:
            self._items = list(self._produce())
        if not self._items:
            raise StopAsyncIteration
        return self._items.pop(0)


class _Workflows:
    def __init__(self, server: FakeServer) -> None:
        self._server = server

    def list(
        self,
        *,
        template_id: int,
        search: str = "",
        fields: Any = None,
        page_size: int,
        max_items: int,
    ) -> AsyncIterator[WorkflowListItem]:
        server = self._server
        if server.down:
            raise APIConnectionError("ConnectError", method="GET", path="/workflows")
        server.commit_due()
        if not search:  # the outage probe: any answer will do
            server.probes += 1
            return _Listing(list)
        server.lookups.append(search)

        def produce() -> list[WorkflowListItem]:
            if server.lookup_error is not None:
                raise server.lookup_error
            word = re.compile(rf"(?<![0-9a-z]){re.escape(search)}(?![0-9a-z])", re.IGNORECASE)
            wanted = fields if isinstance(fields, list) else []
            hits = [
                workflow
                for workflow in server.workflows
                if workflow.template
                and workflow.template.id == template_id
                and any(
                    word.search(t) for t in (workflow.name, *(f.value for f in workflow.fields))
                )
            ]
            return [
                WorkflowListItem(
                    id=workflow.id,
                    name=workflow.name,
                    status=workflow.status,
                    date_created_tsp=workflow.date_created_tsp,
                    template=workflow.template,
                    fields=[f for f in workflow.fields if f.api_name in wanted],
                )
                for workflow in hits[:max_items]
            ]

        return _Listing(produce)


def _token_in_name(body: dict[str, Any]) -> str:
    match = re.search(r"\[([a-z]+\d+)\]", body["name"])
    assert match, body["name"]
    return match.group(1)


class FakeClient:
    """Quacks like ``Pneumatic`` for the bulk runner."""

    def with_options(self, **_options: Any) -> FakeClient:
        """The same client: the fake never retries, so nothing multiplies."""
        return self

    def __init__(
        self,
        server: FakeServer | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        token_field: str | None = None,
    ) -> None:
        self.server = server or FakeServer()
        self.retry_policy = retry_policy or RetryPolicy(initial_backoff=0.0, max_backoff=0.0)
        #: No read timeout to speak of: the second lookup after a dropped answer does not wait.
        self.timeout = httpx.Timeout(0.0)

        def token_of(body: dict[str, Any]) -> str:
            if token_field is not None:
                return str(body["kickoff"][token_field])
            return _token_in_name(body)

        self.templates = _Templates(self.server, token_of)
        self.workflows = _Workflows(self.server)
