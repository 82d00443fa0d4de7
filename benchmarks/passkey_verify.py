"""What verifying one passkey assertion costs.

Times ``passkeys.ceremony.verify_assertion`` (py_webauthn: parse the JSON, check client data,
RP ID hash, flags, decode the COSE key, verify the ES256 signature) on a real assertion made by
the tests' software authenticator, against a baseline measured in the same run: a bare ECDSA
P-256 / SHA-256 verification with ``cryptography`` of the same signed bytes, the part no
implementation can skip. The two are interleaved in blocks so drift hits both. Prints the median
and p99 of each, and their ratio; then the whole server-side check of a sign-in assertion
(``passkeys.assertions.check_assertion``: the challenge taken from the database, the passkey
row locked, the sign count stored) on a throw-away test database.

    .venv/bin/python benchmarks/passkey_verify.py            # 2000 verifications per mode
    .venv/bin/python benchmarks/passkey_verify.py --quick    # 200, for the test suite

Target: median under 2 ms per assertion.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from passkeys import ceremony  # noqa: E402
from tests.passkeys.authenticator import ORIGIN, RP_ID, SoftAuthenticator, b64u, unb64u  # noqa: E402

TARGET_MS = 2.0
BLOCK = 50


def make_assertion() -> tuple[dict, bytes, bytes, ec.EllipticCurvePublicKey]:
    """A real assertion, the challenge it answers, the stored COSE key, the raw public key."""
    authenticator = SoftAuthenticator()
    authenticator.create(
        {"rp": {"id": RP_ID}, "user": {"id": b64u(os.urandom(32))}, "challenge": b64u(b"c" * 32)}
    )
    stored = authenticator.credentials[0]
    challenge = os.urandom(32)
    credential = authenticator.get({"challenge": b64u(challenge), "rpId": RP_ID}, origin=ORIGIN)
    return credential, challenge, stored.cose_public_key(), stored.private_key.public_key()


def stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.99) - 1, 0)]


def time_check_assertion(rounds: int) -> list[float]:
    """``check_assertion`` end to end, each round with a fresh challenge and sign count; the
    authenticator's signing is done outside the timed part."""
    from django.contrib.auth import get_user_model

    from passkeys import challenges
    from passkeys.assertions import check_assertion
    from passkeys.models import Passkey, WebAuthnUser

    user = get_user_model().objects.create_user("bench", "bench@example.com", None)
    authenticator = SoftAuthenticator()
    options = {"rp": {"id": RP_ID}, "user": {"id": WebAuthnUser.handle_for(user)}}
    authenticator.create({**options, "challenge": b64u(b"c" * 32)})
    stored = authenticator.credentials[0]
    Passkey.objects.create(
        user=user,
        credential_id=b64u(stored.credential_id),
        public_key=stored.cose_public_key(),
        name="bench",
    )
    request = RequestFactory().post("/")
    request.session = SessionStore()
    timings = []
    for _ in range(rounds + 5):
        challenge = challenges.issue(request, "login")
        credential = authenticator.get({"challenge": b64u(challenge), "rpId": RP_ID})
        start = time.perf_counter()
        check = check_assertion(request, "login", credential, uv_required=True)
        timings.append((time.perf_counter() - start) * 1000)
        assert check.verified, check
    return timings[5:]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 verifications per mode")
    args = parser.parse_args(argv)
    rounds = 200 if args.quick else 2000

    credential, challenge, cose_key, public_key = make_assertion()
    response = credential["response"]
    signed = (
        unb64u(response["authenticatorData"])
        + hashlib.sha256(unb64u(response["clientDataJSON"])).digest()
    )
    signature = unb64u(response["signature"])

    def full() -> None:
        ceremony.verify_assertion(
            credential, challenge=challenge, public_key=cose_key, uv_required=True
        )

    def bare() -> None:
        public_key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))

    timings: dict[str, list[float]] = {"full": [], "bare": []}
    for func in (full, bare):  # warm-up, and proof that both succeed
        func()
    for _ in range(rounds // BLOCK):
        for name, func in (("full", full), ("bare", bare)):
            for _ in range(BLOCK):
                start = time.perf_counter()
                func()
                timings[name].append((time.perf_counter() - start) * 1000)

    full_median, full_p99 = stats(timings["full"])
    bare_median, bare_p99 = stats(timings["bare"])
    print(f"verifications per mode: {len(timings['full'])}")
    print(f"py_webauthn verify_assertion: median {full_median:.3f} ms, p99 {full_p99:.3f} ms")
    print(f"bare ECDSA P-256 verify: median {bare_median:.3f} ms, p99 {bare_p99:.3f} ms")
    print(f"ratio (median): {full_median / bare_median:.2f}")
    met = "yes" if full_median < TARGET_MS else "NO"
    print(f"target: median < {TARGET_MS:.0f} ms per assertion: {met}")

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = (
        None if database["ENGINE"].endswith("sqlite3") else f"test_{database['NAME']}_bench"
    )
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        checks = time_check_assertion(rounds // 4)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    check_median, check_p99 = stats(checks)
    print(
        f"check_assertion with the database ({connection.vendor}): median {check_median:.3f} ms, "
        f"p99 {check_p99:.3f} ms over {len(checks)} sign-ins"
    )


if __name__ == "__main__":
    main()
