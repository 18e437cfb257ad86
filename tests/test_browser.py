"""The HTML report as a user sees it, in real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", ROOT / "tests" / "artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE_BOUNCE = """From MAILER-DAEMON Mon Mar  2 09:15:02 2026
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: sender@example.org
Subject: Undelivered Mail Returned to Sender <script>alert(1)</script>
Date: Mon, 2 Mar 2026 09:15:02 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Mon, 2 Mar 2026 09:15:01 +0000

Final-Recipient: rfc822; "><img src=x onerror=alert(2)>@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; javascript:alert(3)
Diagnostic-Code: smtp; 550 5.1.1 <script>alert(4)</script> user unknown \u202eevil

--b1--
"""

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("browser")
    (directory / "hostile.mbox").write_text(HOSTILE_BOUNCE)
    html = directory / "report.html"
    result = CliRunner().invoke(main, [str(directory / "hostile.mbox"), str(ROOT / "samples" / "maillog"),
                                       "--html", str(html), "--quiet"])
    assert result.exit_code == 0, result.output
    return html


def test_report_in_chromium(report: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
        page.on("request", lambda request: requests.append(request.url)
                if not request.url.startswith(("file:", "data:")) else None)
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        assert page.locator("#verdict").is_visible()
        assert page.locator("#verdict .verdict-label").inner_text() in ("Healthy", "Needs attention", "Problem")
        charts = page.locator("img.chart")
        assert charts.count() >= 3
        for index in range(charts.count()):
            assert charts.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        # sorting works: click the "attempts" header of the domains table twice, order flips
        header = page.locator("#domains-table thead th").nth(1)
        header.click()
        first = page.locator("#domains-table tbody tr").first.inner_text()
        header.click()
        assert page.locator("#domains-table tbody tr").first.inner_text() != first
        # filtering works
        page.fill("input[data-table=domains-table]", "gmail")
        visible = page.locator("#domains-table tbody tr:visible")
        assert visible.count() >= 1 and all("gmail" in visible.nth(i).inner_text() for i in range(visible.count()))
        page.fill("input[data-table=domains-table]", "")
        # hostile text is inert: shown as text, never as elements
        assert page.locator("img[src=x]").count() == 0
        assert page.evaluate("document.querySelectorAll('script').length") == 1
        assert "<script>alert(4)</script>" in page.locator("#advice").text_content()
        assert page.locator("a[href^=javascript]").count() == 0
        browser.close()
    assert errors == []
    assert requests == []
