"""The HTML report in a real headless chromium: loads cleanly, on a desktop and a phone.

Screenshots are kept under test-artifacts/ (git-ignored) for people to look at.
Skips, with the reason, when chromium or playwright is missing locally; CI installs both.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.fixtures_results import tracking_result
from xhsgrow.report import ReportMeta, render

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser_factory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_api.sync_playwright() as pw:
        # Playwright drives the system chromium; it never downloads a browser of its own.
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=ARGS, headless=True
        )
        yield context
        context.close()


def open_report(context: Any, page_file: Path, width: int) -> tuple[Any, list[str], list[str]]:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in
            ("error", "warning") else None)  # fmt: skip
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri(), wait_until="load")
    return page, problems, requests


@pytest.mark.parametrize(("lang", "width"), [("en", 1100), ("zh", 1100), ("en", 390)])
def test_html_report_loads_cleanly_and_is_screenshotted(
    browser_factory: Any, tmp_path: Path, lang: str, width: int
) -> None:
    page_file = tmp_path / f"report-{lang}.html"
    page_file.write_text(render(tracking_result(), ReportMeta("html", lang)), encoding="utf-8")
    page, problems, requests = open_report(browser_factory, page_file, width)
    try:
        assert problems == []
        assert requests == [page_file.as_uri()]  # self-contained: nothing else fetched
        # every campaign section rendered its charts with real size
        sections = page.locator("section.campaign")
        assert sections.count() == 3
        boxes = [b for b in (s.bounding_box() for s in page.locator("figure svg").all()) if b]
        assert len(boxes) >= 9 and all(b["height"] > 50 and b["width"] > 200 for b in boxes)
        # on a phone nothing spills sideways out of the page: wide tables scroll in place
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width + 1
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"report-{lang}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


def test_print_layout_has_no_console_errors(browser_factory: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(render(tracking_result(), ReportMeta("html", "en")), encoding="utf-8")
    page, problems, _ = open_report(browser_factory, page_file, 1000)
    try:
        page.emulate_media(media="print")
        pdf_like = page.evaluate(
            "getComputedStyle(document.querySelector('section.campaign')).breakBefore"
        )
        assert pdf_like == "page"  # each campaign starts on a new printed page
        assert problems == []
    finally:
        page.close()


def test_a_script_error_in_a_custom_template_would_be_caught(
    browser_factory: Any, tmp_path: Path
) -> None:
    # The check above can fail: a workspace template with a broken script is reported.
    custom = tmp_path / "templates" / "report" / "en"
    custom.mkdir(parents=True)
    (custom / "report.html").write_text(
        "{% set t = {} %}<!doctype html><title>x</title><script>undefinedThing()</script>"
    )
    page_file = tmp_path / "custom.html"
    html = render(tracking_result(), ReportMeta("html", "en"), templates_dir=tmp_path / "templates")
    page_file.write_text(html, encoding="utf-8")
    page, problems, _ = open_report(browser_factory, page_file, 800)
    page.close()
    assert any("undefinedThing" in p for p in problems)
