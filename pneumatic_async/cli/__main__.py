"""``python -m pneumatic_async.cli``: the ``pneumatic`` command."""

import sys

from pneumatic_async.cli import main

sys.exit(main())
