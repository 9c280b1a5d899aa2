"""The fake's checklist routes, replayed against the real server's captures.

``tests/data/real-server/checklists`` holds sixteen request/response pairs made in order against
the real server: a template whose first task has a two-item checklist is created and run, the
task is completed too early (refused), items are marked and unmarked, errors are provoked, and
the task is finally completed. The same requests go to a fresh fake in the same order; ids are
mapped from the capture's to the fake's as they appear, and every answer must match the
captured one: status, structure, and every value that is not an id, a time or a generated name.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from tests.captures import CHECKLISTS
from tests.testing._compare import differences, load_capture
from tests.testing._core_fixtures import client, task, template_body

CAPTURES = sorted(CHECKLISTS.glob("*.json"))
#: Values the fake generates differently (times, random names, URLs).
VOLATILE = re.compile(r"(_tsp|date_updated|_url|api_name)$")


class IdMap:
    """Captured ids → the fake's, learned from parallel answers (by JSON path)."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}

    def learn(self, captured: Any, ours: Any) -> None:
        if isinstance(captured, dict) and isinstance(ours, dict):
            for key, value in captured.items():
                if key == "id" and isinstance(value, int) and isinstance(ours.get(key), int):
                    self.ids.setdefault(value, ours[key])
                elif key in ours:
                    self.learn(value, ours[key])
        elif isinstance(captured, list) and isinstance(ours, list):
            for left, right in zip(captured, ours, strict=False):
                self.learn(left, right)

    def url(self, url: str) -> str:
        path = urlsplit(url).path
        return re.sub(r"/(\d+)(?=/|$)", lambda m: f"/{self.ids.get(int(m[1]), m[1])}", path)

    def body(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k: self.ids.get(v, v) if k.endswith("id") and isinstance(v, int) else self.body(v)
                for k, v in data.items()
            }
        if isinstance(data, list):
            return [self.body(v) for v in data]
        return data


def value_differences(expected: Any, actual: Any, ids: IdMap, path: str = "$") -> list[str]:
    """Values that differ (ids compared through the map; volatile keys skipped)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in set(expected) & set(actual):
            if not VOLATILE.search(key) and key not in ("source_id", "owners", "workflow_starter"):
                found += value_differences(expected[key], actual[key], ids, f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            found += value_differences(left, right, ids, f"{path}[{index}]")
        return found
    if path.endswith(".id") and isinstance(expected, int):
        expected = ids.ids.get(expected, expected)
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    fake = FakePneumatic(
        base_url="http://127.0.0.1:8001", owner_first_name="Owner", owner_last_name="Test"
    )
    async with client(fake) as http:
        yield http


def test_the_captures_are_in_the_repository() -> None:
    assert len(CAPTURES) == 16


async def test_the_fake_answers_every_checklist_capture_like_the_real_server(
    http: httpx.AsyncClient,
) -> None:
    ids = IdMap()
    problems: dict[str, list[str]] = {}
    for path in CAPTURES:
        capture = load_capture(path)
        request, expected = capture["request"], capture["response"]
        body = ids.body(request["json"]) if request["json"] is not None else None
        response = await http.request(request["method"], ids.url(request["url"]), json=body)
        found = []
        if response.status_code != expected["status"]:
            found.append(f"status {expected['status']} != {response.status_code}")
        ours = response.json()
        if response.status_code < 400:
            ids.learn(expected["body"], ours)
        found += differences(expected["body"], ours)
        found += value_differences(expected["body"], ours, ids)
        if found:
            problems[path.stem] = found
    assert problems == {}


async def test_marking_by_checklist_counts_towards_the_task(http: httpx.AsyncClient) -> None:
    checklist = {"api_name": "cl", "selections": [{"value": "A"}, {"value": "B"}]}
    tasks = [task(1, checklists=[checklist])]
    template = (await http.post("/templates", json=template_body(tasks))).json()
    assert template["tasks"][0]["checklists"][0]["selections"][0]["value"] == "A"
    workflow = (await http.post(f"/templates/{template['id']}/run", json={})).json()
    task_id = workflow["tasks"][0]["id"]
    found = (await http.get(f"/v2/tasks/{task_id}")).json()
    [(checklist_id, first, second)] = [
        (c["id"], c["selections"][0]["id"], c["selections"][1]["id"]) for c in found["checklists"]
    ]
    url = f"/v2/tasks/checklists/{checklist_id}"
    await http.post(f"{url}/mark", json={"selection_id": first})
    await http.post(f"{url}/mark", json={"selection_id": first})  # marking twice is harmless
    found = (await http.get(f"/v2/tasks/{task_id}")).json()
    assert (found["checklists_marked"], found["checklists_total"]) == (1, 2)
    refused = await http.post(f"/v2/tasks/{task_id}/complete", json={})
    assert refused.status_code == 400
    await http.post(f"{url}/mark", json={"selection_id": second})
    listed = (await http.get(f"/workflows/{workflow['id']}")).json()["tasks"][0]
    assert listed["checklists_marked"] == 2
    done = await http.post(f"/v2/tasks/{task_id}/complete", json={})
    assert done.json()["status"] == "completed"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"selection_id": None}, "This field may not be null."),
        ({"selection_id": "x"}, "A valid integer is required."),
        ({"selection_id": True}, "A valid integer is required."),
    ],
)
async def test_a_bad_selection_id_names_the_field(
    http: httpx.AsyncClient, body: dict[str, Any], reason: str
) -> None:
    tasks = [task(1, checklists=[{"api_name": "cl", "selections": [{"value": "A"}]}])]
    template = (await http.post("/templates", json=template_body(tasks))).json()
    workflow = (await http.post(f"/templates/{template['id']}/run", json={})).json()
    found = (await http.get(f"/v2/tasks/{workflow['tasks'][0]['id']}")).json()
    checklist_id = found["checklists"][0]["id"]
    response = await http.post(f"/v2/tasks/checklists/{checklist_id}/mark", json=body)
    assert response.status_code == 400
    assert response.json()["details"] == {"name": "selection_id", "reason": reason}


async def test_a_checklist_of_an_invisible_workflow_is_not_found() -> None:
    fake = FakePneumatic()
    template = fake.add_template(
        name="T",
        tasks=[
            {
                "number": 1,
                "name": "T",
                "api_name": "t",
                "raw_performers": [{"type": "user", "source_id": fake.owner.id}],
                "checklists": [{"api_name": "cl", "selections": [{"value": "A"}]}],
            }
        ],
    )
    workflow = fake.run_workflow(template)
    checklist_id = workflow.tasks[0].checklists[0]["id"]
    stranger = fake.add_user("s@example.com", "S", "Tranger")
    async with client(fake, fake.add_api_key(stranger).token) as http:
        response = await http.get(f"/v2/tasks/checklists/{checklist_id}")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
