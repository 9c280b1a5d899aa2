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


#: mutmut's verdicts that count as "the tests noticed the mutant".
_KILLED = {"killed", "timeout", "segfault", "caught by type check"}


@nox.session(python=PYTHON)
def mutation(session: nox.Session) -> None:
    """Mutation testing of the pure modules (by hand, not in CI): ``nox -s mutation``.

    mutmut mutates the modules listed under ``[tool.mutmut]`` in pyproject.toml and runs the
    tests that cover each mutant; this prints the kill rate per module and the survivors
    (``mutmut show <name>`` shows one). Extra arguments go to ``mutmut run``.
    """
    session.install("-e", ".[dev]", "mutmut==3.8.1")
    session.run("mutmut", "run", "--max-children", "2", *session.posargs)
    output = session.run("mutmut", "results", "--all", "true", silent=True) or ""
    tally: dict[str, dict[str, int]] = {}
    survivors: list[str] = []
    for line in str(output).splitlines():
        name, _, status = line.strip().rpartition(": ")
        if "__mutmut_" not in name:
            continue
        module = name.split(".x_")[0].split(".xǁ")[0]
        counts = tally.setdefault(module, {"killed": 0, "total": 0})
        counts["total"] += 1
        if status in _KILLED:
            counts["killed"] += 1
        else:
            survivors.append(f"{name}: {status}")
    for line in survivors:
        session.log(line)
    for module, counts in sorted(tally.items()):
        rate = counts["killed"] / counts["total"]
        session.log(f"{module}: {counts['killed']}/{counts['total']} killed ({rate:.1%})")
