"""Sphinx roles in docstrings as mkdocstrings cross-references (a griffe extension).

The docstrings use Sphinx roles (``:class:`~pneumatic_async.errors.NotFoundError```), which read
well in ``help()`` and IDEs but showed as raw text in the mkdocs API reference. This extension
(``extensions`` of the mkdocstrings Python handler in ``mkdocs.yml``) rewrites each role, in
every docstring it loads, to an autorefs cross-reference: a link to the object's entry when the
object is documented on the site, its name as code otherwise (``optional``: never a broken link
or a strict-mode warning). ``~`` shows the last name only, ``title <target>`` shows the title.
Names that are not dotted (``:meth:`run```) become code.
"""

from __future__ import annotations

import html
import importlib.util
import re
from typing import Any

__all__ = ["SphinxRoles", "convert"]

_ROLE = re.compile(
    r":(?:py:)?(?P<role>class|meth|func|mod|attr|data|exc|obj|const|type)"
    r":`(?P<body>[^`]+)`"
)
_TITLED = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")


def _replace(match: re.Match[str]) -> str:
    body = match["body"].strip()
    titled = _TITLED.match(body)
    if titled:
        title, target = titled["title"], titled["target"]
    else:
        target = body.lstrip("~")
        title = target.rsplit(".", 1)[-1] if body.startswith("~") else target
        if match["role"] in ("meth", "func") and not title.endswith(")"):
            title += "()"
    target = target.lstrip("~").removesuffix("()")
    code = f"<code>{html.escape(title)}</code>"
    if "." not in target:
        return code
    return f'<autoref identifier="{html.escape(target)}" optional>{code}</autoref>'


def convert(text: str) -> str:
    """``text`` with every Sphinx role replaced by an optional autorefs cross-reference."""
    return _ROLE.sub(_replace, text)


if importlib.util.find_spec("griffe") is not None:  # the docs extra; convert() works without
    import griffe

    class SphinxRoles(griffe.Extension):
        """Rewrite the Sphinx roles of every loaded docstring (see the module docs)."""

        def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
            """Convert ``obj``'s docstring in place."""
            if obj.docstring is not None:
                obj.docstring.value = convert(obj.docstring.value)
