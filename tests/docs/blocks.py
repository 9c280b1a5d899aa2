"""Python code blocks of the Markdown docs (README.md and docs/), for the docs runner.

The convention (documented in ``docs/index.md``, "Examples in these docs"):

* every fenced block whose language is ``python`` (or ``py``) is run by the test suite, in
  order, in one namespace per page;
* a block preceded by an HTML comment ``<!-- fragment -->`` (or ``<!-- fragment: why -->``) on
  the line before its fence is only a fragment: it is compiled (its syntax is checked) but not
  run;
* a block that only includes a file (``--8<-- "examples/x.py"``) is not run here: the included
  file is run by its own test.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

__all__ = ["Block", "doc_files", "read_blocks"]

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
_FRAGMENT = re.compile(r"^\s*<!--\s*fragment\b.*-->\s*$")
_SNIPPET = re.compile(r"^\s*-{2}8<-{2}")


@attrs.frozen(kw_only=True)
class Block:
    """One fenced Python block: where it is, its code, and whether it only is a fragment."""

    path: Path
    line: int  # of the first code line (1-based)
    code: str
    fragment: bool
    include_only: bool

    @property
    def where(self) -> str:
        """``docs/x.md:12``."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> list[Path]:
    """README.md and every Markdown file under docs/, sorted."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def read_blocks(path: Path) -> list[Block]:
    """The Python blocks of one Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        fence, indent = match["fence"], match["indent"]
        language = match["info"].strip().split(" ")[0].lstrip("{.").rstrip("}").lower()
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        end = index + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence[0] * len(fence))
            and lines[end].strip().strip(fence[0]) == ""
        ):
            end += 1
        if language in ("python", "py"):
            body = [
                line[len(indent) :] if line.startswith(indent) else line
                for line in lines[index + 1 : end]
            ]
            code = "\n".join(body) + "\n"
            blocks.append(
                Block(
                    path=path,
                    line=index + 2,
                    code=code,
                    fragment=_FRAGMENT.match(previous) is not None,
                    include_only=all(_SNIPPET.match(text) or not text.strip() for text in body),
                )
            )
        index = end + 1
    return blocks
