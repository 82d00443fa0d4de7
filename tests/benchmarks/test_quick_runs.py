"""Each benchmark in benchmarks/ runs in its short mode (``--quick``) and prints what it
promises. The numbers are read by people, not asserted (no timings in tests); what is asserted
is that every line is there, plus the counts a benchmark promises (queries, round trips).

A new benchmark adds a ``check_<name>(out)`` and a row to ``BENCHMARKS``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_quick(name: str, timeout: int) -> str:
    """Run benchmarks/<name>.py --quick with the settings it picks itself; its output."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def has_line(pattern: str, out: str) -> re.Match:
    match = re.search(pattern, out, re.M)
    assert match, f"no line matching {pattern!r} in:\n{out}"
    return match


def timing(label: str) -> str:
    return rf"^{label}: median [\d.]+ ms, p99 [\d.]+ ms$"


def check_attack_protection(out: str) -> None:
    has_line(r"^failed logins per mode: 60 \(20 identifiers x 3, ", out)
    assert "threshold 10 never reached" in out
    has_line(r"^database: \w+, cache: \w+$", out)
    has_line(timing(r"suite \(throttling, brute force, bot counters, risk velocity\)"), out)
    has_line(timing(r"django-axes [\d.]+ \(database handler, failure limit 10\)"), out)
    has_line(r"^ratio suite/axes \(median\): [\d.]+ \(target <= 0\.5\)$", out)
    queries = has_line(r"^database queries per failed login: suite (\d+), axes (\d+)$", out)
    # Below the threshold the suite's checks touch only the cache.
    assert int(queries.group(1)) == 0
    trips = re.search(r"^cache round trips per failed login: suite (\d+), axes \d+$", out, re.M)
    if trips:  # counted when the cache is Redis
        assert int(trips.group(1)) == 2
    else:
        assert "not counted (the cache is not Redis)" in out
    has_line(r"^suite with its security-event row: median [\d.]+ ms", out)


def check_login_overhead(out: str) -> None:
    assert "logins per mode: 30" in out
    assert "password hasher: MD5PasswordHasher (same for both modes)" in out
    assert "fraud.risk.policy.evaluate_login_policies" in out  # what the baseline lacks
    for mode in ("with the local engine", "receivers disconnected"):
        has_line(timing(mode), out)
    has_line(r"^ratio \(median\): [\d.]+ \(target <= 1\.15\)$", out)
    queries = has_line(r"^queries per login: (\d+) with the engine, (\d+) without$", out)
    # One history read and one insert (in a savepoint: inside the sign-in's transaction a
    # failed insert must not poison it), and nothing that grows with the user's history.
    assert int(queries.group(1)) - int(queries.group(2)) == 1 + 3
    has_line(r"after 200 more history events: \d+ \(growth 0\)$", out)


def check_passkey_verify(out: str) -> None:
    assert "verifications per mode: 200" in out
    for mode in ("py_webauthn verify_assertion", "bare ECDSA P-256 verify"):
        has_line(timing(mode), out)
    has_line(r"^ratio \(median\): [\d.]+$", out)
    has_line(r"^target: median < 2 ms per assertion: (yes|NO)$", out)
    has_line(
        r"^check_assertion with the database \(\w+\): median [\d.]+ ms, p99 [\d.]+ ms "
        r"over 50 sign-ins$",
        out,
    )


def check_sift_publish(out: str) -> None:
    assert "events delivered per round: 200, rounds: 3 (fake Sift on loopback)" in out
    for mode in ("shared session", "new connection per event"):
        has_line(rf"^one worker, {mode}: \d+ events/s$", out)
    has_line(r"^throughput ratio \(shared session / new connection\): [\d.]+$", out)
    assert "logins per mode: 30" in out
    has_line(r"^added login latency \(median\): -?[\d.]+ ms \(target < 2 ms\)$", out)
    has_line(r"^login latency ratio \(publishing on / Sift off\): [\d.]+$", out)


# (benchmark, what its output must show, seconds it may take)
BENCHMARKS = [
    ("attack_protection", check_attack_protection, 300),
    ("login_overhead", check_login_overhead, 300),
    ("passkey_verify", check_passkey_verify, 300),
    ("sift_publish", check_sift_publish, 600),
]


@pytest.mark.parametrize(
    "name, check, timeout", BENCHMARKS, ids=[name for name, _, _ in BENCHMARKS]
)
def test_benchmark_quick_run(name, check, timeout):
    check(run_quick(name, timeout))
