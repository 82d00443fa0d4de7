"""benchmarks/sift_publish.py runs in its short mode and prints its ratio lines (the numbers
are for people to read, not asserted: no timings in tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sift_publish_quick():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sift_publish.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "events delivered per round: 200, rounds: 3 (fake Sift on loopback)" in out
    for mode in ("shared session", "new connection per event"):
        assert re.search(rf"^one worker, {mode}: \d+ events/s$", out, re.M), out
    assert re.search(
        r"^throughput ratio \(shared session / new connection\): [\d.]+$", out, re.M
    ), out
    assert "logins per mode: 30" in out
    assert re.search(r"^added login latency \(median\): -?[\d.]+ ms \(target < 2 ms\)$", out, re.M)
    assert re.search(r"^login latency ratio \(publishing on / Sift off\): [\d.]+$", out, re.M)
