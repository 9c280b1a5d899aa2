"""Run the fake Pneumatic server from the command line.

::

    python -m pneumatic_async.testing serve [--host 127.0.0.1] [--port 8000] [--seed 0]
                                            [--seed-demo]

prints the base URL and the API key, then serves (uvicorn, asyncio) until Ctrl-C. ``--port 0``
(the default) picks a free port. Webhooks subscribed to by clients are delivered for real.
``--seed-demo`` adds the demo users, template (id 1) and workflows of
:mod:`pneumatic_async.testing.demo`, so the docs' examples run against it as written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from pneumatic_async.testing.server import bind_socket, serve, socket_url

if TYPE_CHECKING:
    from pneumatic_async.testing import FakePneumatic


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m pneumatic_async.testing`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m pneumatic_async.testing", description="The fake Pneumatic server."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the fake over HTTP until Ctrl-C")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    serve_cmd.add_argument("--seed", type=int, default=0, help="seed for ids and faults")
    serve_cmd.add_argument(
        "--seed-demo",
        action="store_true",
        help="add the demo users, template (id 1) and workflows the docs' examples use",
    )
    return parser


def make_fake(base_url: str, seed: int) -> FakePneumatic:
    """A FakePneumatic whose own URLs (API and file service) point at the served socket."""
    from pneumatic_async.testing import FakePneumatic

    return FakePneumatic(base_url=base_url, file_service_url=f"{base_url}/files", seed=seed)


async def run_server(host: str, port: int, seed: int, seed_demo: bool = False) -> None:
    """Bind, build the fake, print how to reach it and serve until cancelled."""
    sock = bind_socket(host, port)
    base_url = socket_url(sock)
    fake = make_fake(base_url, seed)
    if seed_demo:
        from pneumatic_async.testing.demo import seed_demo as add_demo

        demo = add_demo(fake)
        print(f"Demo template: {demo.template_id} (Client onboarding)", flush=True)
    async with serve(fake, sock=sock) as url:
        print(f"Fake Pneumatic serving at {url}", flush=True)
        print(f"API key: {fake.api_key}", flush=True)
        print(f"export PNEUMATIC_BASE_URL={url} PNEUMATIC_API_KEY={fake.api_key}", flush=True)
        print(f"export FLOWDASH_BASE_URL={url}/api/v1 FLOWDASH_API_KEY={fake.api_key}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await anyio.sleep_forever()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        anyio.run(run_server, args.host, args.port, args.seed, args.seed_demo, backend="asyncio")
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
