"""What a command runs with: the client (real or sandbox), the sandbox's fake server, output."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs

from pneumatic_async.cli.errors import CliError, ExitCode
from pneumatic_async.cli.output import Output
from pneumatic_async.client import Pneumatic

if TYPE_CHECKING:
    from pneumatic_async.testing import FakePneumatic

__all__ = ["Context", "open_context"]

_NO_KEY = (
    "no API key: set PNEUMATIC_API_KEY (or pass --api-key KEY); create a key in Pneumatic under "
    "Integrations > API, or add --sandbox to try the command on the embedded fake server"
)


@attrs.define
class Context:
    """A running command's client, output and (with ``--sandbox``) the fake server."""

    output: Output
    client: Pneumatic
    fake: FakePneumatic | None = None

    @property
    def sandbox(self) -> bool:
        """True when the command runs against the embedded fake server."""
        return self.fake is not None


@asynccontextmanager
async def open_context(args: argparse.Namespace, output: Output) -> AsyncIterator[Context]:
    """The command's :class:`Context` from the global options; the client is closed on exit.

    ``--sandbox`` builds a seeded fake server (no key needed). Otherwise the API key comes from
    ``--api-key`` or ``PNEUMATIC_API_KEY`` (missing: a :class:`CliError` with exit code 3) and
    the base URL from ``--base-url`` or ``PNEUMATIC_BASE_URL``.
    """
    if args.sandbox:
        from pneumatic_async.cli.sandbox import build_sandbox, sandbox_client

        fake = build_sandbox()
        async with sandbox_client(fake) as client:
            yield Context(output=output, client=client, fake=fake)
        return
    api_key = args.api_key if args.api_key is not None else os.environ.get("PNEUMATIC_API_KEY")
    if api_key is None or not api_key.strip():
        raise CliError(_NO_KEY, ExitCode.CONFIG)
    async with Pneumatic(api_key=api_key, base_url=args.base_url) as client:
        yield Context(output=output, client=client)
