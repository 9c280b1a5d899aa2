"""``python -m pneumatic_async.testing serve --seed-demo``: the README's quickstart target."""

from __future__ import annotations

import subprocess
import sys
import time

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.__main__ import build_parser
from pneumatic_async.testing.demo import DEMO_CLIENTS, DEMO_TEMPLATE_ID, seed_demo


def test_seed_demo_adds_the_template_and_workflows_the_docs_use() -> None:
    fake = FakePneumatic()
    seed = seed_demo(fake)
    assert seed.template_id == DEMO_TEMPLATE_ID
    names = [fake.workflow(i).name for i in seed.workflow_ids]
    assert names == [f"Onboarding {client}" for client in DEMO_CLIENTS]
    assert build_parser().parse_args(["serve", "--seed-demo"]).seed_demo is True
    assert build_parser().parse_args(["serve"]).seed_demo is False


def test_the_served_demo_answers_the_quickstart() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pneumatic_async.testing", "serve", "--seed-demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while "API key" not in lines and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            key, _, value = line.replace(" at ", ": ", 1).partition(": ")
            lines[key.strip()] = value.strip()
        assert lines["Demo template"].startswith("1 ")
        url = lines["Fake Pneumatic serving"]
        headers = {"Authorization": f"Bearer {lines['API key']}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
            template = http.get(f"/templates/{DEMO_TEMPLATE_ID}").json()
            launched = http.post(
                f"/templates/{DEMO_TEMPLATE_ID}/run",
                json={"name": "Quickstart", "kickoff": {"client": "ACME"}},
            )
        assert template["name"] == "Client onboarding"
        assert launched.status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)
