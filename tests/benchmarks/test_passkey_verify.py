"""benchmarks/passkey_verify.py runs in its short mode and prints what it promises (the numbers
are read by people, not asserted: no timings in tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_passkey_verify_quick():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "passkey_verify.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "verifications per mode: 200" in out
    for mode in ("py_webauthn verify_assertion", "bare ECDSA P-256 verify"):
        assert re.search(rf"^{mode}: median [\d.]+ ms, p99 [\d.]+ ms$", out, re.M), out
    assert re.search(r"^ratio \(median\): [\d.]+$", out, re.M), out
    assert re.search(r"^target: median < 2 ms per assertion: (yes|NO)$", out, re.M), out
    assert re.search(
        r"^check_assertion with the database \(\w+\): median [\d.]+ ms, p99 [\d.]+ ms "
        r"over 50 sign-ins$",
        out,
        re.M,
    ), out
