"""The one JSON line every Python peer of `npm run bench` prints last (bench/peer.ts parses it)."""

import json
import resource
import time
from typing import Callable


def measure_and_report(
    run: Callable[[], list[bool]],
    observed: dict[int, float],
    errors: list[str],
    notes: list[str] | None = None,
) -> None:
    """Runs the measured window and prints its figures: the same fields for every peer, so the
    TypeScript side reads them alike. `run` returns one success flag per run."""
    began = time.monotonic()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    results = run()
    wall = time.monotonic() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_start.ru_utime - cpu_start.ru_stime
    report = {
        "completed": sum(results),
        "failed": len(results) - sum(results),
        "wallSeconds": wall,
        "observedAt": {str(k): v for k, v in observed.items()},
        # ru_maxrss is in KiB on Linux.
        "peakRssMb": usage.ru_maxrss / 1024,
        "cpuSeconds": cpu,
        "errors": sorted(set(errors))[:5],
    }
    if notes is not None:
        report["notes"] = notes
    print(json.dumps(report), flush=True)
