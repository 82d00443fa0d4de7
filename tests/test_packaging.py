"""The wheel a site owner installs carries every app's templates, static files and migrations."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["ciam", "fraud", "passkeys", "notifications"]


def package_files(app: str) -> set[str]:
    wanted = set()
    for sub in ("templates", "static", "migrations"):
        for path in (ROOT / app).rglob("*"):
            in_sub = sub in path.relative_to(ROOT / app).parts[:1]
            if path.is_file() and in_sub and "__pycache__" not in path.parts:
                wanted.add(path.relative_to(ROOT).as_posix())
    return wanted


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("django_ciam-*.whl")
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


@pytest.mark.parametrize("app", APPS)
def test_wheel_contains_templates_static_and_migrations(wheel, app):
    expected = package_files(app)
    assert f"{app}/migrations/__init__.py" in expected
    missing = expected - wheel
    assert not missing, f"missing from the wheel: {sorted(missing)[:10]}"


def test_wheel_leaves_out_the_reference_site_and_tests(wheel):
    assert not any(name.startswith(("config/", "tests/", "benchmarks/")) for name in wheel)
