"""Automation: ``nox`` runs lint, typecheck and tests (the CI job); ``nox -s docs`` builds docs."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """pytest with warnings as errors; every async test runs on asyncio and trio (anyio)."""
    session.install("-e", ".[dev]")
    session.run("pytest", "-W", "error", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format; the layers (import-linter), no module over 500 lines, no cycle."""
    session.install("ruff>=0.6", "import-linter>=2.1", "-e", ".")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")
    session.run("python", ".ci/layout.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package (settings in pyproject.toml)."""
    session.install("-e", ".[dev]")
    session.run("mypy", "-p", "pneumatic_async")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site (mkdocs, strict)."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks (results go to benchmarks/RESULTS.md)."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks.run_all", *session.posargs)
