"""benchmarks/security_center.py runs in its short mode and prints what it promises (the numbers
are read by people, not asserted: no timings in tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_security_center_quick():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "security_center.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^events: 20000 over 30 days \(.+\), loaded in \d+ s$", out, re.M), out
    for label in ("without roll-ups", "with roll-ups"):
        for window, bucket in [("24h", "hour"), ("7d", "day"), ("30d", "day"), ("30d", "hour")]:
            line = rf"^page {label} \(HTML \+ JSON\), {window} by {bucket}: median \d+ ms$"
            assert re.search(line, out, re.M), out
    assert re.search(r"^roll-up of 7\d\d hours: [\d.]+ s$", out, re.M), out
    assert re.search(r"^slowest page with roll-ups: \d+ ms \(target < 1000 ms\)", out, re.M), out
    what_if = re.search(r"^what-if over (\d+) sign-ins \((\d+) days\): [\d.]+ s", out, re.M)
    assert what_if and int(what_if.group(1)) >= 4000, out
    export = re.search(r"^CSV export: (\d+) rows .* peak Python memory [\d.]+ MB$", out, re.M)
    assert export and int(export.group(1)) >= 20000, out  # and the admin's own sign-in
