"""Sphinx roles in docstrings become mkdocstrings cross-references in the API reference."""

from __future__ import annotations

import pytest

from tools.sphinx_roles import convert


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "raises :class:`~pneumatic_async.errors.NotFoundError` when",
            'raises <autoref identifier="pneumatic_async.errors.NotFoundError" optional>'
            "<code>NotFoundError</code></autoref> when",
        ),
        (
            ":mod:`pneumatic_async.values`",
            '<autoref identifier="pneumatic_async.values" optional>'
            "<code>pneumatic_async.values</code></autoref>",
        ),
        (
            ":meth:`Templates.run <pneumatic_async.resources.templates.Templates.run>`",
            '<autoref identifier="pneumatic_async.resources.templates.Templates.run" optional>'
            "<code>Templates.run</code></autoref>",
        ),
        (":meth:`~pneumatic_async.Paginator.pages`", "<code>pages()</code></autoref>"),
        (":meth:`pages`", "<code>pages()</code>"),
        (":py:func:`run_many`", "<code>run_many()</code>"),
    ],
)
def test_roles_become_cross_references(text: str, expected: str) -> None:
    assert expected in convert(text)
    assert ":class:`" not in convert(text)
    assert ":meth:`" not in convert(text)


def test_text_without_roles_is_unchanged() -> None:
    text = "A ``literal`` and a `code` span, and :notarole:`x`."
    assert convert(text) == text


def test_no_raw_role_survives_in_the_package_docstrings() -> None:
    import ast
    import re
    from pathlib import Path

    import pneumatic_async

    leftover = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj):`")
    package = Path(pneumatic_async.__file__).parent
    checked = 0
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    checked += 1
                    assert not leftover.search(convert(doc)), f"{path}: {node}"
    assert checked > 100
