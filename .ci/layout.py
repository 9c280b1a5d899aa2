"""Layout checks run by ``nox -s lint``: module size and import cycles.

* No module of the package is over 500 lines (split by concern instead).
* No import cycle among the package's modules, counting imports inside functions and under
  ``TYPE_CHECKING`` (the graph is grimp's, the one import-linter checks the layers on).

Exit status 1 with one line per problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

MAX_LINES = 500
PACKAGE = "pneumatic_async"
#: Parts exempt from both checks (none: the fake server is checked like the rest).
EXEMPT: tuple[str, ...] = ()


def long_modules(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        if str(path).startswith(EXEMPT):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            problems.append(f"{path}: {lines} lines (at most {MAX_LINES})")
    return problems


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def main() -> int:
    problems = long_modules(Path(PACKAGE))
    graph = grimp.build_graph(PACKAGE)
    for component in cycles(graph):
        if all(module.startswith(EXEMPT) for module in component):
            continue
        problems.append("import cycle: " + " <-> ".join(component))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
