"""README's "Add it to your site", applied to a fresh `startproject`, gives the site the admin
console: the admin's sign-in goes through the hosted login."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.test_readme import python_blocks, readme_section


@pytest.mark.slow
def test_a_site_set_up_from_the_readme_runs_the_console(tmp_path):
    settings_block, urls_block = python_blocks(readme_section("Add it to your site"))
    assert "ciam.admin_console.apps.ConsoleAdminConfig" in settings_block
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "site1", str(tmp_path)],
        check=True,
        env=env,
    )
    settings_path = tmp_path / "site1" / "settings.py"
    settings_path.write_text(settings_path.read_text() + "\n" + settings_block)
    urls_path = tmp_path / "site1" / "urls.py"
    urls_path.write_text(urls_path.read_text() + "\n" + urls_block)
    env["DJANGO_SETTINGS_MODULE"] = "site1.settings"

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )

    check = manage("check")
    assert check.returncode == 0, check.stderr
    assert "fraud.W040" not in check.stdout + check.stderr
    assert manage("migrate", "--noinput").returncode == 0
    probe = (
        "from django.contrib import admin\n"
        "from django.test import Client\n"
        "print(admin.site.__class__.__name__)\n"
        "c = Client(HTTP_HOST='localhost')\n"
        "r = c.get('/admin/')\n"
        "print(r.status_code, r['Location'])\n"
        "r = c.get(r['Location'])\n"
        "print(r.status_code, r['Location'])\n"
    )
    shell = manage("shell", "--no-imports", "-c", probe)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split("\n")[:3] == [
        "ConsoleAdminSite",
        "302 /admin/login/?next=/admin/",
        "302 /accounts/login/?next=/admin/",
    ]
