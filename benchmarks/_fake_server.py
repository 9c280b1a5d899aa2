"""Serve the fake Pneumatic server over a socket for the launch benchmark.

``python benchmarks/_fake_server.py PORT LATENCY_MS`` builds a fake account with one active
template (three kickoff fields), injects ``LATENCY_MS`` of latency into every launch, serves it
with uvicorn (one worker, this process) and prints ``ready <template_id> <api_key>``.
"""

from __future__ import annotations

import sys

import anyio

from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.server import bind_socket, serve, socket_url

TEMPLATE = {
    "name": "Benchmark onboarding",
    "is_active": True,
    "kickoff": {
        "fields": [
            {
                "order": 1,
                "name": "Client",
                "type": "string",
                "api_name": "client",
                "is_required": True,
            },
            {
                "order": 2,
                "name": "Notes",
                "type": "text",
                "api_name": "notes",
                "is_required": False,
            },
            {
                "order": 3,
                "name": "Tier",
                "type": "dropdown",
                "api_name": "tier",
                "is_required": False,
                "selections": [{"value": "Gold"}, {"value": "Silver"}],
            },
        ]
    },
    "tasks": [
        {
            "number": 1,
            "name": "Welcome {{client}}",
            "api_name": "task-welcome",
            "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        }
    ],
}


async def main(port: int, latency_ms: float) -> None:
    sock = bind_socket("127.0.0.1", port)
    base_url = socket_url(sock)
    fake = FakePneumatic(base_url=base_url)
    template = fake.add_template(TEMPLATE)
    template_id = template["id"] if isinstance(template, dict) else template.id
    if latency_ms:
        fake.faults.add("latency", route="POST /templates/{id}/run", latency=latency_ms / 1000)
    async with serve(fake, sock=sock):
        print(f"ready {template_id} {fake.api_key}", flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]), float(sys.argv[2]))
