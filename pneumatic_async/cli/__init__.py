"""The ``pneumatic`` command line (``pip install 'pneumatic-async[cli]'``).

>>> from pneumatic_async.cli import main
>>> main(["--sandbox", "templates", "list"])  # doctest: +SKIP
0

``main(argv)`` runs one command and returns its exit code (0 ok, 1 API error or failed items,
2 bad usage or input, 3 missing configuration); the console script passes it to ``sys.exit``.
See ``docs/cli.md`` for the commands.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pneumatic`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit
    code."""
    try:
        from pneumatic_async.cli.app import main as run
    except ModuleNotFoundError as exc:  # rich not installed
        if exc.name not in ("rich", "starlette"):
            raise
        import sys

        sys.stderr.write(
            f"pneumatic: error: the command line needs the 'cli' extra ({exc.name} is missing): "
            "pip install 'pneumatic-async[cli]'\n"
        )
        return 3
    return run(argv)
