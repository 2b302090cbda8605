"""`wa-hub report --html`: one self-contained page, checked as a file and in a real (headless) Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdp import Browser, chromium
from wa_hub.cli import app
from wa_hub.html_report import word_diff
from wa_hub.schema import Results


def path_of(results: Results) -> Path:
    assert results.predictions is not None
    return Path(results.predictions).parent / "results.json"


@pytest.fixture(scope="module")
def page(
    reference_results: Results, source_results: Results, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    a, b = path_of(source_results), path_of(reference_results)
    res = CliRunner().invoke(
        app, ["report", str(a), str(b), "--compare", "--html", str(out), "--resamples", "200"]
    )
    assert res.exit_code == 0, res.output
    return out


def choose(browser: Browser, select: str, value: str) -> None:
    """Pick an option of a <select> as a user does (the page listens to its change event)."""
    browser.eval(
        f"(s => {{ s.value = {value!r}; s.dispatchEvent(new Event('change')); }})"
        f"(document.getElementById({select!r}))"
    )


def test_word_diff_marks_inserted_deleted_and_replaced_words() -> None:
    got = word_diff("He go to the school <now>", "He goes to school <now> today")
    assert got == (
        'He <del class="rep">go</del> <ins class="rep">goes</ins> to <del>the</del> school &lt;now&gt; '
        "<ins>today</ins>"
    )
    assert word_diff("same words", "same words") == "same words"


def test_the_page_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # nothing fetched when viewed
    assert "<link" not in text and "@import" not in text
    assert text.count('src="data:image/png;base64,') == 11  # a chart per set and the average
    for section in ("Table 3 layout", "Comparison (paired bootstrap)", "Error types (ERRANT)", "Examples"):
        assert section in text
    assert "references better" in text and "±" in text


def test_the_example_browser_answers_clicks_in_chromium(page: Path, tmp_path: Path) -> None:
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium on PATH (Debian's `chromium` package; .ci/run installs it as root)")
    browser = Browser(binary)
    try:
        browser.open(page.as_uri())
        state = "document.getElementById('page').textContent"
        first_ids = "[...document.querySelectorAll('#rows .row')].map(r => r.dataset.id)"
        assert browser.eval(state) == "page 1 of 2 (8 rows)"
        assert browser.eval(first_ids) == [f"conll14-{i}" for i in range(5)]
        browser.eval("document.getElementById('next').click()")
        assert browser.eval(state) == "page 2 of 2 (8 rows)"
        assert browser.eval(first_ids) == [f"conll14-{i}" for i in range(5, 8)]
        # Another set, then only the rows where a run scored 0 on the sentence.
        choose(browser, "set", "jfleg")
        assert browser.eval(state) == "page 1 of 2 (8 rows)"
        assert browser.eval(first_ids)[0] == "jfleg-0"
        choose(browser, "filter", "differ")
        assert (
            browser.eval(state) == "page 1 of 2 (8 rows)"
        )  # the references differ from the source everywhere
        highlighted = "document.querySelectorAll('#rows ins, #rows del').length"
        assert browser.eval(highlighted) > 0
        browser.eval("document.getElementById('browser').scrollIntoView()")
        shot = browser.screenshot(tmp_path / "report.png")
    finally:
        browser.close()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
