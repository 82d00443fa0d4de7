"""A synthetic security event log for the Security Center benchmark: a month of a busy site.

Sign-ins and sign-outs of returning users, a credential-stuffing botnet failing sign-ins on a
few thousand accounts, CAPTCHAs, brute-force blocks, throttled addresses, breached passwords,
step-ups and denies, with the risk engine's score and signals and, on half of the sign-ins,
Sift's score, shaped like the rows ``fraud.events.record.record_event`` writes.

``load(n, days)`` writes ``n`` events spread over the last ``days`` days: with PostgreSQL's
COPY (a million rows in well under a minute), otherwise with ``bulk_create`` in batches.
"""

from __future__ import annotations

import io
import json
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from ciam.device import device_hash, hash_identifier
from fraud.events.models import SecurityEvent

# (type, share of all events)
MIX = [
    ("login_succeeded", 0.28),
    ("logout", 0.12),
    ("login_failed", 0.30),
    ("login_blocked", 0.05),
    ("signup", 0.03),
    ("signup_blocked", 0.005),
    ("captcha_shown", 0.04),
    ("captcha_solved", 0.025),
    ("captcha_failed", 0.012),
    ("brute_force_block", 0.004),
    ("ip_throttled", 0.002),
    ("breached_password", 0.003),
    ("step_up_requested", 0.03),
    ("step_up_passed", 0.022),
    ("step_up_failed", 0.004),
    ("login_denied", 0.012),
    ("password_changed", 0.004),
    ("password_reset", 0.002),
    ("mfa_changed", 0.002),
]
SIGNAL_WEIGHTS = {
    "new_device": 0.25,
    "new_network": 0.15,
    "new_country": 0.25,
    "impossible_travel": 0.3,
    "account_failures": 0.3,
    "ip_failures": 0.3,
    "breached_password": 0.5,
    "bot": 0.5,
}
COUNTRIES = ["GB", "US", "FR", "DE", "SE", "NL", "BR", "IN", "NG", "VN"]
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BOT_AGENT = "python-requests/2.32.3"


class History:
    """A seeded generator of event rows (dicts of column values)."""

    def __init__(self, users: list[int], usernames: list[str], days: int, seed: int = 7):
        self.rng = random.Random(seed)
        self.users = users
        self.hashes = [hash_identifier(name) for name in usernames]
        self.days = days
        self.now = timezone.now()
        rng = self.rng
        # A botnet: 300 networks, 10 addresses each, a few of them very busy (Zipf-like).
        self.bot_ips = [
            f"{rng.randint(11, 220)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{host}"
            for _ in range(300)
            for host in rng.sample(range(1, 255), 10)
        ]
        self.bot_weights = _cumulative([1 / (i + 1) ** 0.8 for i in range(len(self.bot_ips))])
        # Home addresses of real users.
        self.home_ips = [
            ".".join(str(rng.randint(*r)) for r in [(11, 220), (0, 255), (0, 255), (1, 254)])
            for _ in range(max(len(users), 1))
        ]
        # Stuffed identifiers: accounts that exist and accounts that do not.
        self.stuffed = self.hashes[: max(len(self.hashes) // 4, 1)] + [
            hash_identifier(f"someone{i}@example.net") for i in range(5000)
        ]
        self.stuffed_weights = _cumulative([1 / (i + 1) ** 0.7 for i in range(len(self.stuffed))])
        self.types = [t for t, _ in MIX]
        self.type_weights = _cumulative([w for _, w in MIX])
        self.start = self.now - timedelta(days=days)
        self.step = timedelta(seconds=1)

    def when(self):
        # A log is written in time order: each event a little after the previous one.
        self.start += self.step * (2 * self.rng.random())
        return min(self.start, self.now)

    def attacker(self):
        return self.rng.choices(self.bot_ips, cum_weights=self.bot_weights)[0]

    def target(self):
        return self.rng.choices(self.stuffed, cum_weights=self.stuffed_weights)[0]

    def risk(self, kind: str):
        """Score, signals, verdict, enforced and details of a sign-in that reached the
        risk check, consistent with the default policy (step up above 0.5, deny above 0.7)."""
        rng = self.rng
        if kind == "login_denied":
            keys = rng.sample(["new_device", "new_country", "impossible_travel", "bot"], 3)
        elif kind == "step_up_requested" or (kind == "login_succeeded" and rng.random() < 0.08):
            keys = rng.sample(["new_device", "new_network", "new_country", "account_failures"], 3)
        else:
            keys = [k for k in ("new_device", "new_network") if rng.random() < 0.12]
        signals = [
            {"key": k, "weight": SIGNAL_WEIGHTS[k], "explanation": k.replace("_", " ")}
            for k in keys
        ]
        score = round(min(1.0, sum(s["weight"] for s in signals)), 4)
        verdict = "deny" if score > 0.7 else "step_up" if score > 0.5 else "allow"
        if "impossible_travel" in keys and verdict == "allow":
            verdict = "step_up"
        enforced = rng.random() > 0.1
        verdicts = [
            {
                "source": "risk_engine",
                "policy": "Default",
                "action": verdict,
                "score": score,
                "monitor": not enforced,
                "reason": f"score {score:.2f}",
            }
        ]
        if rng.random() < 0.5:
            sift = round(min(1.0, max(0.0, rng.betavariate(1.2, 6) + score / 3)), 3)
            verdicts.append(
                {
                    "source": "sift",
                    "policy": "sift",
                    "action": "allow",
                    "score": sift,
                    "monitor": True,
                    "reason": f"Sift score {sift:.2f}",
                }
            )
        data = {"method": "password", "verdicts": verdicts}
        if kind == "login_succeeded" and verdict == "step_up" and enforced:
            data["step_up_skipped"] = False
        return score, signals, verdict, enforced, data

    def row(self) -> dict:
        rng = self.rng
        kind = rng.choices(self.types, cum_weights=self.type_weights)[0]
        row = {
            "created_at": self.when(),
            "type": kind,
            "user_id": None,
            "identifier_hash": "",
            "ip": None,
            "network": "",
            "user_agent": AGENT,
            "device_hash": "",
            "country": "",
            "score": None,
            "signals": [],
            "verdict": "",
            "policy": "",
            "enforced": True,
            "reason": "",
            "data": {},
        }
        attack = kind in {
            "login_failed",
            "login_blocked",
            "captcha_failed",
            "brute_force_block",
            "ip_throttled",
            "signup_blocked",
        } and (kind != "login_failed" or rng.random() < 0.8)
        if attack:
            ip = self.attacker()
            row.update(ip=ip, identifier_hash=self.target(), user_agent=BOT_AGENT, country="VN")
            if kind == "brute_force_block" and self.users:
                row["user_id"] = rng.choice(self.users)
            if kind == "login_blocked":
                row["reason"] = rng.choice(
                    ["brute_force_blocked", "ip_throttled", "captcha_failed"]
                )
        else:
            index = rng.randrange(len(self.users)) if self.users else None
            ip = self.home_ips[index] if index is not None else self.attacker()
            if index is not None and kind != "login_failed":
                row["user_id"] = self.users[index]
            if index is not None:
                row["identifier_hash"] = self.hashes[index]
            row["device_hash"] = device_hash(f"device-{index}")
            row["country"] = COUNTRIES[(index or 0) % len(COUNTRIES)]
        row["ip"] = ip
        row["network"] = ".".join(ip.split(".")[:3]) + ".0/24"
        if kind in {"login_succeeded", "login_denied", "step_up_requested", "step_up_passed"}:
            score, signals, verdict, enforced, data = self.risk(kind)
            if kind == "login_denied":
                verdict, enforced = "deny", True
            row.update(
                score=score,
                signals=signals,
                verdict=verdict,
                enforced=enforced,
                policy="Default",
                data=data,
            )
        return row


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def make_users(count: int) -> tuple[list[int], list[str]]:
    """``count`` users (an unusable password: they never sign in here)."""
    User = get_user_model()
    names = [f"bench{i}" for i in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=n, email=f"{n}@example.com", password="!unusable")
            for n in names
            if n not in existing
        ],
        batch_size=2000,
    )
    pairs = User.objects.filter(username__in=names).values_list("pk", "username")
    ids, usernames = zip(*pairs, strict=True) if pairs else ((), ())
    return list(ids), list(usernames)


COLUMNS = [
    "created_at",
    "type",
    "user_id",
    "identifier_hash",
    "ip",
    "network",
    "user_agent",
    "device_hash",
    "country",
    "score",
    "signals",
    "verdict",
    "policy",
    "enforced",
    "reason",
    "data",
]


def load(n: int, days: int = 30, users: int = 5000, seed: int = 7) -> int:
    """Write ``n`` events over the last ``days`` days; returns how many were written."""
    ids, names = make_users(users)
    history = History(ids, names, days, seed)
    history.step = timedelta(days=days) / n
    if connection.vendor == "postgresql":
        _copy(history, n)
    else:
        _bulk_create(history, n)
    return n


def _copy(history: History, n: int, batch: int = 100_000) -> None:
    table = SecurityEvent._meta.db_table
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        for start in range(0, n, batch):
            buffer = io.StringIO()
            for _ in range(min(batch, n - start)):
                row = history.row()
                buffer.write("\t".join(_copy_value(row[c]) for c in COLUMNS) + "\n")
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
        cursor.execute(f"ANALYZE {table}")


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | dict):
        value = json.dumps(value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _bulk_create(history: History, n: int, batch: int = 5000) -> None:
    for start in range(0, n, batch):
        SecurityEvent.objects.bulk_create(
            [SecurityEvent(**history.row()) for _ in range(min(batch, n - start))],
            batch_size=batch,
        )
