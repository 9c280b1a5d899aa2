"""The blocking clients (written by ``python -m tools.generate_sync``: do not edit)."""

from pneumatic_async.sync.clients.flowdash import Flowdash
from pneumatic_async.sync.clients.pneumatic import Pneumatic

__all__ = ["Flowdash", "Pneumatic"]
