"""benchmarks/login_overhead.py runs in its short mode and prints what it promises (the
numbers are read by people, not asserted: no timings in tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_login_overhead_quick():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "login_overhead.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "logins per mode: 30" in out
    assert "password hasher: MD5PasswordHasher (same for both modes)" in out
    assert "fraud.risk.policy.evaluate_login_policies" in out  # what the baseline lacks
    for mode in ("with the local engine", "receivers disconnected"):
        assert re.search(rf"^{mode}: median [\d.]+ ms, p99 [\d.]+ ms$", out, re.M), out
    assert re.search(r"^ratio \(median\): [\d.]+ \(target <= 1\.15\)$", out, re.M), out
    queries = re.search(r"^queries per login: (\d+) with the engine, (\d+) without$", out, re.M)
    assert queries, out
    # One history read and one insert, and nothing that grows with the user's history.
    assert int(queries.group(1)) - int(queries.group(2)) == 2
    assert re.search(r"after 200 more history events: \d+ \(growth 0\)$", out, re.M), out
