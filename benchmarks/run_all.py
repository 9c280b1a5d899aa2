"""Run every benchmark and update benchmarks/RESULTS.md (``python -m benchmarks.run_all``)."""

from __future__ import annotations

import shutil
import subprocess
import sys

for module in (
    "benchmarks.overhead",
    "benchmarks.bulk_launch",
    "benchmarks.construct",
    "benchmarks.decode",
    "benchmarks.decode_floor",
    "benchmarks.paginate",
    "benchmarks.import_time",
    "benchmarks.sync_overhead",
    "benchmarks.webhook_router",
):
    subprocess.run([sys.executable, "-m", module, "--write"], check=True)
if shutil.which("valgrind") is not None:  # instruction counts need valgrind
    subprocess.run([sys.executable, "-m", "benchmarks.instructions", "--write"], check=True)
