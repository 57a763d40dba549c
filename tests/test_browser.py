"""The smoke study's HTML reports in a real browser: headless Chromium (the
Debian package, ``apt-get install chromium``; ``.ci/run`` installs it) driven
by playwright. Every figure decodes, every audio player loads and knows its
duration, the index links to reports that open, and no page logs an error."""

import math
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# each <audio>: ask for its metadata, then report [duration, error code]
AUDIO_JS = """async () => Promise.all(Array.from(document.querySelectorAll('audio')).map(a => new Promise(done => {
    const report = () => done([a.duration, a.error ? a.error.code : null]);
    if (a.readyState >= 1) return report();
    a.addEventListener('loadedmetadata', report, {once: true});
    a.addEventListener('error', report, {once: true});
    a.preload = 'metadata';
    a.load();
})))"""
IMAGES_JS = """async () => Promise.all(Array.from(document.images).map(i =>
    (i.complete ? Promise.resolve() : new Promise(r => { i.onload = r; i.onerror = r; }))
      .then(() => [i.src.slice(0, 40), i.naturalWidth])))"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (as .ci/run does) to run the browser test")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (requirements/base.txt) is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def open_page(browser, path: Path):
    """Open a file; return the page and the errors it logged (console errors, page errors, failed requests)."""
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url[:80]} ({r.failure})"))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors


@pytest.mark.slow
def test_every_report_shows_its_figures_and_plays_its_audio(smoke_study, browser):
    assert smoke_study.returncode == 0, smoke_study.output[-3000:]
    reports = sorted(smoke_study.reports.glob("0*.html"))
    assert [p.stem[:2] for p in reports] == ["01", "02", "03", "04", "05"]
    players = 0
    for path in reports:
        page, errors = open_page(browser, path)
        images = page.evaluate(IMAGES_JS)
        assert images, f"{path.name}: no figure"
        for src, width in images:
            assert width > 0, f"{path.name}: figure {src}... does not decode"
        for duration, error in page.evaluate(AUDIO_JS):
            assert error is None, f"{path.name}: an audio player fails to load (MediaError code {error})"
            assert duration is not None and math.isfinite(duration) and duration > 0, f"{path.name}: duration {duration}"
            players += 1
        page.wait_for_timeout(200)  # late errors (e.g. a failing script) get their chance to show
        assert errors == [], f"{path.name}: {errors}"
        page.close()
    assert players >= 10  # examples in 02, examples and mistakes in 05


@pytest.mark.slow
def test_the_index_links_every_report(smoke_study, browser):
    assert smoke_study.returncode == 0, smoke_study.output[-3000:]
    page, errors = open_page(browser, smoke_study.reports / "index.html")
    links = page.eval_on_selector_all("a", "as => as.map(a => [a.textContent, a.href])")
    assert [text[:2] for text, _ in links] == ["01", "02", "03", "04", "05"]
    assert "real-track accuracy" in page.inner_text("body")
    for text, href in links:
        page.goto(href, wait_until="load")
        assert page.title(), f"{text}: {href} did not open"
    assert errors == [], errors
    page.close()

