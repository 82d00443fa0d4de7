"""benchmarks/attack_protection.py runs in its short mode and prints what it promises (the
numbers are read by people, not asserted: no timings in tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_attack_protection_benchmark_quick():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "attack_protection.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^failed logins per mode: 60 \(20 identifiers x 3, ", out, re.M), out
    assert "threshold 10 never reached" in out
    assert re.search(r"^database: \w+, cache: \w+$", out, re.M), out
    for label in (
        r"suite \(throttling, brute force, bot counters, risk velocity\)",
        r"django-axes [\d.]+ \(database handler, failure limit 10\)",
    ):
        assert re.search(rf"^{label}: median [\d.]+ ms, p99 [\d.]+ ms$", out, re.M), out
    assert re.search(r"^ratio suite/axes \(median\): [\d.]+ \(target <= 0\.5\)$", out, re.M), out
    queries = re.search(r"^database queries per failed login: suite (\d+), axes (\d+)$", out, re.M)
    assert queries, out
    # Below the threshold the suite's checks touch only the cache.
    assert int(queries.group(1)) == 0
    trips = re.search(r"^cache round trips per failed login: suite (\d+), axes \d+$", out, re.M)
    if trips:  # counted when the cache is Redis
        assert int(trips.group(1)) == 2
    else:
        assert "not counted (the cache is not Redis)" in out
    assert re.search(r"^suite with its security-event row: median [\d.]+ ms", out, re.M), out
