"""The package's version, read once from its installed metadata (``pyproject.toml``'s ``version``).

The one place the version string lives is ``pyproject.toml``; ``pneumatic_async.__version__``,
the ``User-Agent`` header and ``pneumatic --version`` all read it from here.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["DISTRIBUTION", "__version__", "user_agent"]

#: The distribution name on the package index.
DISTRIBUTION = "pneumatic-async"

try:
    __version__: str = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - imported from a source tree never installed
    __version__ = "0+unknown"


def user_agent() -> str:
    """The ``User-Agent`` the SDK sends: ``pneumatic-async/<version>``."""
    return f"{DISTRIBUTION}/{__version__}"
