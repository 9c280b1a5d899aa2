"""Every namespace method through the sync client against the fake server, on asyncio and trio.

``test_every_method_is_exercised`` reads this module and fails when a public method of a sync
namespace is never called here as ``<client>.<namespace>.<method>(...)``.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pneumatic_async import Page, files_value
from pneumatic_async.bulk import LaunchItem, LaunchResult, Progress
from pneumatic_async.errors import InvalidValuesError, NotFoundError, UnprocessableEntityError
from pneumatic_async.models.common import TaskStatus, WorkflowStatus
from pneumatic_async.models.flowdash import ExecutionStatus
from pneumatic_async.models.users import User
from pneumatic_async.models.workflows import Workflow, WorkflowListItem
from pneumatic_async.sync import Backend, Flowdash, Pneumatic, SyncPaginator, SyncStream
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.flowdash import get_flowdash
from pneumatic_async.testing.state import StoredTemplate
from tests.sync.conftest import template_body

# -- templates -------------------------------------------------------------------------------------


def test_templates_read(client: Pneumatic, template: StoredTemplate) -> None:
    listed = client.templates.list()
    assert isinstance(listed, SyncPaginator)
    assert [t.id for t in listed] == [template.id]
    detail = client.templates.get(template.id)
    assert detail.name == "Onboarding"
    fields = client.templates.fields(template.id)
    assert [f.api_name for f in fields.kickoff.fields] == ["client"]
    steps = client.templates.steps(template.id)
    assert [s.api_name for s in steps] == ["step-1", "step-2"]
    specs = client.templates.kickoff_specs(template.id)
    assert [s.api_name for s in specs] == ["client"]


def test_templates_write(client: Pneumatic, fake: FakePneumatic) -> None:
    created = client.templates.create(template_body(name="Created"))
    assert created.is_active
    assert created.owners[0].source_id == str(fake.owner.id)  # filled in by the SDK
    updated = client.templates.update(created.id, template_body(name="Renamed"))
    assert updated.name == "Renamed"
    client.templates.delete(created.id)
    with pytest.raises(NotFoundError):
        client.templates.get(created.id)


def test_templates_run_validates_before_sending(
    client: Pneumatic, template: StoredTemplate
) -> None:
    workflow = client.templates.run(template.id, kickoff={"client": "ACME"}, name="ACME")
    assert workflow.name == "ACME"
    assert [t.api_name for t in workflow.active_tasks] == ["step-1"]
    with pytest.raises(InvalidValuesError) as info:
        client.templates.run(template.id, kickoff={"nope": 1})
    assert {p.field for p in info.value.problems} >= {"nope"}


def test_templates_run_many_returns_results_and_reports_progress(
    client: Pneumatic, template: StoredTemplate, fake: FakePneumatic
) -> None:
    progress: list[Progress] = []
    rows = [{"client": f"client {n}"} for n in range(7)]
    results = client.templates.run_many(
        template.id, [*rows[:6], LaunchItem(kickoff=rows[6])], on_progress=progress.append
    )
    assert [r.index for r in results] == list(range(7))
    assert all(isinstance(r, LaunchResult) and r.ok for r in results)
    assert len({r.workflow_id for r in results}) == 7
    assert len(fake.state.workflows) == 7
    assert progress
    assert progress[-1].done == 7


def test_templates_stream_run_yields_results(
    client: Pneumatic, template: StoredTemplate, fake: FakePneumatic
) -> None:
    stream = client.templates.stream_run(template.id, [{"client": f"c{n}"} for n in range(40)])
    assert isinstance(stream, SyncStream)
    with stream as results:
        indexes = sorted(result.index for result in results)
    assert indexes == list(range(40))
    assert len(fake.state.workflows) == 40


def test_templates_stream_run_left_early_stops_launching(
    client: Pneumatic, template: StoredTemplate, fake: FakePneumatic
) -> None:
    rows = [{"client": f"c{n}"} for n in range(500)]
    with client.templates.stream_run(template.id, rows, concurrency=2) as results:
        first = next(results)
    assert first.ok
    launched = len(fake.state.workflows)
    assert launched < 500
    # Nothing runs on behind the caller's back: the count stays where it was.
    assert client.users.me().id == fake.owner.id
    assert len(fake.state.workflows) == launched


def test_templates_stream_run_checks_a_generator_as_it_goes(
    client: Pneumatic, template: StoredTemplate, fake: FakePneumatic
) -> None:
    read: list[int] = []

    def rows() -> Iterator[dict[str, str]]:
        for n in range(300):
            read.append(n)
            yield {"client": f"c{n}"} if n != 1 else {}

    with client.templates.stream_run(
        template.id, rows(), concurrency=2, check="as_it_goes"
    ) as results:
        first = [next(results), next(results), next(results)]
    assert len(read) < 300  # read as the launches went, not ahead
    # Item 1 (no client) is reported invalid as soon as it is read; the batch goes on.
    assert [r.status for r in first if r.index == 1] == ["invalid"]
    assert all(r.ok for r in first if r.index != 1)
    assert len(fake.state.workflows) < 300


# -- workflows -------------------------------------------------------------------------------------


def test_workflows_read(client: Pneumatic, template: StoredTemplate) -> None:
    ids = [client.templates.run(template.id, kickoff={"client": f"c{n}"}).id for n in range(5)]
    running = client.workflows.list(status="running", page_size=2)
    assert [w.id for w in running] == ids[::-1]
    pages = list(running.pages())
    assert [len(p.items) for p in pages] == [2, 2, 1]
    first = running.first_page()
    assert isinstance(first, Page)
    assert first.count == 5
    assert [w.id for w in client.workflows.list(max_items=3).collect()] == ids[:1:-1]
    detail = client.workflows.get(ids[0])
    assert detail.status == WorkflowStatus.RUNNING
    with_fields = client.workflows.fields(template_id=template.id, fields=["client"]).collect(10)
    assert len(with_fields) == 5
    events = list(client.workflows.events(ids[0]))
    assert events


def test_workflows_change(client: Pneumatic, fake: FakePneumatic) -> None:
    template = fake.add_template(template_body(finalizable=True))
    workflow = client.templates.run(template.id, kickoff={"client": "ACME"})
    updated = client.workflows.update(workflow.id, name="Renamed", kickoff={"client": "Initech"})
    assert updated.name == "Renamed"
    comment = client.workflows.comment(workflow.id, "hello")
    assert comment.text == "hello"
    snoozed = client.workflows.snooze(workflow.id, time.time() + 3600)
    assert snoozed.status == WorkflowStatus.SNOOZED
    resumed = client.workflows.resume(workflow.id)
    assert resumed.status == WorkflowStatus.RUNNING
    done = client.workflows.complete_current_task(workflow.id, {"decision": "yes"})
    assert done.is_completed
    client.workflows.return_to(workflow.id, task_api_name="step-1")
    again = client.workflows.get(workflow.id)
    assert [t.api_name for t in again.active_tasks] == ["step-1"]
    client.workflows.finish(workflow.id)
    assert client.workflows.get(workflow.id).status == WorkflowStatus.DONE
    client.workflows.delete(workflow.id)
    with pytest.raises(NotFoundError):
        client.workflows.get(workflow.id)


# -- tasks -----------------------------------------------------------------------------------------


def test_tasks(client: Pneumatic, template: StoredTemplate) -> None:
    workflow = client.templates.run(template.id, kickoff={"client": "ACME"})
    [item] = client.tasks.list()
    task = client.tasks.get(item.id)
    assert task.api_name == "step-1"
    client.tasks.set_due_date(task.id, time.time() + 3600)
    assert client.tasks.get(task.id).due_date_tsp is not None
    client.tasks.clear_due_date(task.id)
    assert client.tasks.get(task.id).due_date_tsp is None
    event = client.tasks.comment(task.id, "on it")
    assert event.text == "on it"
    with pytest.raises(InvalidValuesError):
        client.tasks.complete(task.id, {"unknown-field": "x"})
    completed = client.tasks.complete(task.id, {"decision": "yes"})
    assert completed.is_completed
    [second] = client.workflows.get(workflow.id).active_tasks
    client.tasks.revert(second.id, "not yet")
    assert client.tasks.get(task.id).status == TaskStatus.ACTIVE
    assert list(client.tasks.events(task.id))
    assert [t.id for t in client.tasks.list(is_completed=True)] == []


# -- users -----------------------------------------------------------------------------------------


def test_users(client: Pneumatic, fake: FakePneumatic) -> None:
    other = fake.add_user("ann@example.com", "Ann", "Other")
    fake.add_group("Finance", [other])
    me = client.users.me()
    assert isinstance(me, User)
    assert me.email == fake.owner.email
    assert {u.email for u in client.users.list()} == {fake.owner.email, "ann@example.com"}
    assert client.users.get(other.id).first_name == "Ann"
    assert [g.name for g in client.users.groups()] == ["Finance"]
    assert client.users.emails_by_id([other.id, 999_999]) == {other.id: "ann@example.com"}


# -- webhooks --------------------------------------------------------------------------------------


def test_webhooks(client: Pneumatic) -> None:
    url = "https://hooks.example.com/in?secret=s"
    client.webhooks.subscribe("workflow_started", url)
    assert client.webhooks.get("workflow_started").url == url
    assert [h.url for h in client.webhooks.list() if h.url] == [url]
    client.webhooks.unsubscribe("workflow_started")
    assert client.webhooks.get("workflow_started").url is None
    client.webhooks.subscribe_all(url)
    assert client.webhooks.unsubscribe_url(url) == [str(h.event) for h in client.webhooks.list()]
    client.webhooks.subscribe_all(url)
    client.webhooks.unsubscribe_all()
    assert all(h.url is None for h in client.webhooks.list())
    with pytest.raises(ValueError, match="unknown webhook event"):
        client.webhooks.subscribe("nope", url)


# -- files -----------------------------------------------------------------------------------------


def test_files(client: Pneumatic, fake: FakePneumatic, tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(b"quarterly numbers")
    uploaded = client.files.upload(path)
    assert uploaded.filename == "report.txt"
    assert files_value(uploaded) == [f"[report.txt]({uploaded.public_url})"]
    from_bytes = client.files.upload(b"raw", filename="raw.bin")
    assert from_bytes.file_id != uploaded.file_id
    fake.files.register_attachment(uploaded.file_id)
    [attachment] = client.files.list_attachments()
    assert attachment.file_id == uploaded.file_id


# -- Flowdash --------------------------------------------------------------------------------------


def test_flowdash_actions(fake: FakePneumatic, backend: Backend) -> None:
    get_flowdash(fake).add_task("abc123", "678", actions=["Approve", "Reject"])
    with Flowdash(
        api_key=fake.api_key,
        base_url=fake.base_url + "/api/v1",
        transport=fake.transport(),
        backend=backend,
    ) as flowdash:
        actions = flowdash.actions.list("abc123", "678")
        assert [a.name for a in actions] == ["Approve", "Reject"]
        execution = flowdash.actions.execute("abc123", "678", actions[0].id)
        assert execution.status == ExecutionStatus.PENDING
        assert flowdash.actions.get_execution("abc123", execution.id).id == execution.id
        done = flowdash.actions.wait("abc123", execution.id, interval=0)
        assert done.status == ExecutionStatus.SUCCESS


def test_flowdash_errors_are_the_async_ones(fake: FakePneumatic) -> None:
    get_flowdash(fake).add_task("abc123", "678", actions=["Approve"], requirements=["Name"])
    with Flowdash(
        api_key=fake.api_key, base_url=fake.base_url + "/api/v1", transport=fake.transport()
    ) as flowdash:
        [action] = flowdash.actions.list("abc123", "678")
        with pytest.raises(UnprocessableEntityError) as info:
            flowdash.actions.execute("abc123", "678", action.id)
    assert info.value.errors == ["Name"]


# -- the client's own verbs ------------------------------------------------------------------------


def test_client_verbs(client: Pneumatic, template: StoredTemplate, fake: FakePneumatic) -> None:
    me = client.get("/accounts/user", cast_to=User)
    assert me.id == fake.owner.id
    assert client.request("GET", "/accounts/user")["email"] == fake.owner.email
    raw = client.send("GET", "/accounts/user")
    assert raw.status_code == 200
    assert raw.json()["id"] == fake.owner.id
    workflow = client.post(
        f"/templates/{template.id}/run", json={"kickoff": {"client": "ACME"}}, cast_to=Workflow
    )
    renamed = client.patch(f"/workflows/{workflow.id}", json={"name": "Renamed"}, cast_to=Workflow)
    assert renamed.name == "Renamed"
    body = template_body(name="Replaced")
    body["owners"] = [{"type": "user", "source_id": fake.owner.id, "role": "owner"}]
    assert client.put(f"/templates/{template.id}", json=body)["name"] == "Replaced"
    listed = client.paginate("/workflows", cast_to=WorkflowListItem, page_size=1)
    assert isinstance(listed, SyncPaginator)
    assert [w.id for w in listed] == [workflow.id]
    client.delete(f"/workflows/{workflow.id}")
    assert client.paginate("/workflows", cast_to=WorkflowListItem).collect(10) == []


# -- coverage of this module -----------------------------------------------------------------------


def _called_methods() -> set[tuple[str, str]]:
    """``(namespace, method)`` of every ``x.namespace.method(...)`` call here, and
    ``("", method)`` of every ``client.method(...)`` call."""
    tree = ast.parse(Path(__file__).read_text())
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Attribute):
                called.add((owner.attr, node.func.attr))
            elif isinstance(owner, ast.Name) and owner.id == "client":
                called.add(("", node.func.attr))
    return called


def test_every_method_is_exercised() -> None:
    from tools.generate_sync import CLIENT_SKIP, CLIENTS, namespaces, public_methods

    expected = {
        (name, method)
        for client in CLIENTS
        for name, resource in namespaces(client).items()
        for method in public_methods(resource)
    }
    expected |= {
        ("", method)
        for client in CLIENTS
        for method in public_methods(client)
        if method not in CLIENT_SKIP and method != "with_options"  # test_client.py
    }
    missing = sorted(expected - _called_methods())
    assert not missing, f"sync client methods without a test here: {missing}"
