"""An administrator in headless Chromium: signs in to the admin through the hosted login, opens
the Security Center on a week of seeded events, and sees every chart drawn from the page's JSON
(Chart.js shipped with the package), with the same numbers in the tables."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fraud.console.rollup import roll_up
from fraud.events.models import SecurityEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 42"


def seed_week(user) -> int:
    """A week of a small site: sign-ins by day, a credential-stuffing burst two days ago."""
    rng = random.Random(11)
    now = timezone.now()
    rows = []

    def add(kind, at, **fields):
        rows.append(SecurityEvent(type=kind, created_at=at, **fields))

    for hour in range(7 * 24):
        at = now - timedelta(hours=hour, minutes=rng.randint(0, 59))
        daytime = 8 <= (at.hour % 24) <= 20
        for _ in range(rng.randint(6, 14) if daytime else rng.randint(1, 4)):
            score = rng.choice([0.0, 0.0, 0.15, 0.25, 0.4, 0.55, 0.8])
            verdict = "deny" if score > 0.7 else "step_up" if score > 0.5 else "allow"
            kind = {"deny": "login_denied", "step_up": "step_up_requested"}.get(
                verdict, "login_succeeded"
            )
            verdicts = []
            if rng.random() < 0.6:
                sift = round(min(1.0, rng.betavariate(1.3, 5) + score / 2), 3)
                verdicts.append({"source": "sift", "score": sift, "monitor": True})
            add(
                kind,
                at,
                user=user,
                ip=f"81.2.69.{rng.randint(1, 40)}",
                network="81.2.69.0/24",
                score=score,
                verdict=verdict,
                enforced=rng.random() > 0.15,
                data={"verdicts": verdicts},
            )
        burst = 40 <= hour <= 46
        for _ in range(rng.randint(60, 120) if burst else rng.randint(2, 9)):
            ip = f"203.0.113.{rng.choice([66, 66, 66, 67, 68, 90])}" if burst else "198.51.100.7"
            add(
                "login_failed",
                at,
                ip=ip,
                network=ip.rsplit(".", 1)[0] + ".0/24",
                identifier_hash=rng.choice(["a" * 64, "b" * 64, "c" * 64]),
            )
        for kind, chance in [
            ("signup", 0.5),
            ("captcha_shown", 0.6 if burst else 0.2),
            ("captcha_solved", 0.3),
            ("captcha_failed", 0.5 if burst else 0.05),
            ("brute_force_block", 0.4 if burst else 0.02),
            ("ip_throttled", 0.3 if burst else 0.01),
            ("breached_password", 0.05),
        ]:
            if rng.random() < chance:
                add(kind, at, ip="203.0.113.66" if burst else None)
    SecurityEvent.objects.bulk_create(rows)
    return len(rows)


@pytest.fixture
def page(browser, site_url):
    # Wide enough for two charts side by side, as on an administrator's screen.
    context = browser.new_context(base_url=site_url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_the_security_center_draws_its_charts(page, screenshot, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    seed_week(admin)
    roll_up()  # the closed hours; the current one is counted live

    # The admin's sign-in is the hosted login.
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/admin/"))
    page.get_by_label(re.compile("username or email", re.I)).fill("root")
    page.get_by_label(re.compile("^password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^sign in$", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.get_by_role("link", name="Security Center").first.click()
    page.wait_for_url(re.compile(r"/security-center/"))

    page.get_by_role("link", name="7 days").click()
    page.wait_for_url(re.compile(r"window=7d"))
    page.wait_for_selector('[data-charts-drawn="5"]')
    drawn = page.eval_on_selector_all(
        "canvas[data-chart]",
        """canvases => canvases.map(c => {
            const chart = window.Chart.getChart(c);
            return {
              id: c.dataset.chart,
              width: c.width,
              datasets: chart.data.datasets.length,
              points: chart.data.datasets.reduce((n, d) => n + d.data.length, 0),
              total: Number(c.dataset.drawn),
            };
        })""",
    )
    assert [c["id"] for c in drawn] == ["sign_ins", "captchas", "protection", "verdicts", "sift"]
    for chart in drawn:
        assert chart["width"] > 0 and chart["datasets"] >= 1 and chart["points"] > 0, chart
        assert chart["total"] > 0, chart
    # The chart draws what the table says.
    table_total = page.locator("#ciam-sc-sign_ins tfoot td").nth(1).text_content()
    chart_total = page.evaluate(
        """() => window.Chart.getChart(document.querySelector('canvas[data-chart="sign_ins"]'))
            .data.datasets[1].data.reduce((a, b) => a + b, 0)"""
    )
    assert int(table_total) == chart_total
    assert page.get_by_role("heading", name="Top attacking IP addresses").is_visible()
    assert page.locator(".ciam-sc-top").first.get_by_role("link", name="203.0.113.66").is_visible()
    screenshot(page, "security_center")

    # A recent deny opens the event.
    page.locator(".ciam-sc-recent tbody a").first.click()
    page.wait_for_url(re.compile(r"/admin/ciam_fraud/securityevent/\d+/change/"))


def test_a_policy_what_if_from_the_policy_page(page, make_user):
    from fraud.risk.models import LoginPolicy

    admin = make_user("root", is_staff=True, is_superuser=True)
    seed_week(admin)
    # Made here: a transactional test starts from an emptied database.
    policy = LoginPolicy.objects.create(name="Office")
    page.goto("/admin/")
    page.get_by_label(re.compile("username or email", re.I)).fill("root")
    page.get_by_label(re.compile("^password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^sign in$", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(f"/admin/ciam_fraud/loginpolicy/{policy.pk}/change/")
    # Edited, not saved: a stricter deny threshold.
    page.get_by_label("Deny above").fill("0.5")
    page.get_by_label("Over the last (days)").fill("7")
    page.get_by_role("button", name="Replay past sign-ins with these thresholds").click()
    page.wait_for_url(re.compile(r"/what-if/$"))
    summary = page.locator("#ciam-what-if-summary")
    denied_now = int(summary.locator('tr[data-outcome="deny"] td').nth(0).inner_text())
    denied_then = int(summary.locator('tr[data-outcome="deny"] td').nth(1).inner_text())
    assert denied_then > denied_now > 0  # the 0.55 sign-ins stepped up would now be denied
    assert page.get_by_role("heading", name=re.compile("stepped up would have been denied"))
    policy.refresh_from_db()
    assert policy.deny_above == 0.7
