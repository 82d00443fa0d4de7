"""README's "Add it to your site" applied, as written, to a fresh `django-admin startproject`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_first_lines_are_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[0] == "```sh"
    assert lines[1].startswith("make demo") and lines[2].startswith("make test")
    assert lines[3] == "```"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\nmake test" in ci


@pytest.mark.slow
def test_add_it_to_your_site_works_on_an_empty_startproject(tmp_path):
    settings_block, urls_block = python_blocks(readme_section("Add it to your site"))
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    django_admin = [sys.executable, "-m", "django"]
    subprocess.run([*django_admin, "startproject", "site1", str(tmp_path)], check=True, env=env)
    settings_path = tmp_path / "site1" / "settings.py"
    settings_path.write_text(settings_path.read_text() + "\n" + settings_block)
    urls_path = tmp_path / "site1" / "urls.py"
    urls_path.write_text(urls_path.read_text() + "\n" + urls_block)
    env["DJANGO_SETTINGS_MODULE"] = "site1.settings"

    def manage(*args, **kwargs):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            **kwargs,
        )

    check = manage("check", "--fail-level", "ERROR")
    assert check.returncode == 0, check.stderr
    migrate = manage("migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    probe = (
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='localhost')\n"
        "r = c.get('/accounts/login/')\n"
        "assert r.status_code == 200, r.status_code\n"
        "assert 'ciam.css' in r.content.decode()\n"
        "r = c.post('/accounts/login/', {'login': 'x@example.com', 'password': 'y'})\n"
        "print(r.status_code)\n"
    )
    shell = manage("shell", "-c", probe)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip().endswith("400")
