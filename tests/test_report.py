"""The results report: one self-contained page, checked in a real headless browser."""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import EXPERIMENTS, Result, register_experiment
from experiments.cli import main
from experiments.report import markdown_to_html, write_report
from experiments.style import figure

NAME = "_report_probe"


@dataclass(frozen=True)
class _Settings:
    n: int = 4

    @classmethod
    def quick(cls):
        return cls(n=4)

    @classmethod
    def full(cls):
        return cls(n=8)


def _figures(result, settings):
    line, ax = figure()
    ax.plot(result.metrics["x"], result.metrics["y"], label="y")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    bars, ax = figure()
    ax.bar(result.metrics["x"], result.metrics["y"])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return {"line": line, "bars": bars}


def _summary(result, settings):
    return (
        f"# Probe ({settings.n} points)\n\nThe mean is **{result.metrics['y'].mean():.4f}**.\n\n"
        "| statistic | value |\n| --- | --- |\n"
        f"| max | {result.metrics['y'].max():.4f} |\n"
    )


if NAME not in EXPERIMENTS:

    @register_experiment(NAME, "probe for the report tests", _Settings, _figures, _summary)
    def _run(settings, seed):
        x = np.arange(settings.n)
        y = np.random.default_rng(seed).normal(size=settings.n)
        return Result(
            metrics=pd.DataFrame({"x": x, "y": y}),
            timings=pd.DataFrame({"step": ["fit", "score"], "train_seconds": [1.25, 0.5]}),
        )


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments.cli, "EXPERIMENTS", {NAME: EXPERIMENTS[NAME]})
    out = tmp_path / "results"
    assert main(["run", NAME, "--quick", "--seed", "3", "--out", str(out)]) == 0
    assert main(["run", NAME, "--full", "--set", "n=6", "--out", str(out)]) == 0
    return out


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.external = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a":
            self.links.append(attrs["href"])
        for key in ("src", "href"):
            value = attrs.get(key, "")
            if re.match(r"(https?:)?//", value):
                self.external.append(value)


def test_the_page_holds_every_run_with_its_figures_summary_config_and_timings(results, capsys):
    assert main(["report", str(results)]) == 0
    page_path = results / "report.html"
    assert capsys.readouterr().out.strip() == str(page_path)
    page = page_path.read_text()
    parsed = _Page()
    parsed.feed(page)
    assert len(parsed.images) == 4  # two runs x two figures
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert parsed.external == []  # nothing loaded from anywhere
    for run_dir in sorted((results / NAME).iterdir()):
        metrics = pd.read_csv(run_dir / "metrics.csv")
        assert f"{metrics['y'].mean():.4f}" in page  # the summary
        config = json.loads((run_dir / "config.json").read_text())
        assert run_dir.name in page
        assert f"<th>seed</th><td>{config['seed']}</td>" in page
    assert "<th>changed with --set</th><td>{&quot;n&quot;: 6}</td>" in page
    assert "train_seconds: total 1.8 s over 2 rows" in page
    # CSV links are relative to the page and lead to the files
    csvs = [href for href in parsed.links if href.endswith(".csv")]
    assert len(csvs) == 4 and all((results / href).is_file() for href in csvs)  # metrics, timings
    assert "code version" in page and "numpy " in page and "brian2 " in page


def test_report_mistakes_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no finished run" in err and len(err.splitlines()) == 1
    assert main(["report", str(tmp_path), "--output", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_markdown_tables_headings_and_escaping():
    text = (
        "# A <b>\n\nSome `x<y` and **bold**.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n- one\n- two"
    )
    assert markdown_to_html(text) == (
        "<h3>A &lt;b&gt;</h3>\n<p>Some <code>x&lt;y</code> and <strong>bold</strong>.</p>\n"
        "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>\n"
        "<ul><li>one</li><li>two</li></ul>"
    )


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """<script>
window.addEventListener('load', function () {
  var images = Array.prototype.map.call(document.images, function (img) {
    return {alt: img.alt, complete: img.complete, width: img.naturalWidth};
  });
  var out = document.createElement('pre');
  out.id = 'browser-check';
  out.textContent = JSON.stringify(images);
  document.body.appendChild(out);
});
</script>"""


def render_in_chromium(page: Path, profile: Path):
    """Load ``page`` (plus a script recording every image's state) in headless chromium;
    returns (images, console lines)."""
    probed = page.with_name("probed.html")
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    completed = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    found = re.search(r'<pre id="browser-check">(.*?)</pre>', completed.stdout, re.DOTALL)
    assert found, "the page did not finish loading"
    console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line]
    return json.loads(found.group(1)), console


def _require_chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")


def test_a_headless_browser_renders_every_figure_without_console_errors(results, tmp_path):
    _require_chromium()
    page = write_report(results)
    images, console = render_in_chromium(page, tmp_path / "profile")
    assert len(images) == 4
    assert all(image["complete"] and image["width"] > 0 for image in images), images
    assert console == []


def test_the_browser_check_catches_a_broken_figure_and_a_script_error(tmp_path):
    """The check above can fail: a damaged image and a console error are seen."""
    _require_chromium()
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA" alt="broken">'
        "<script>console.error('broken page');</script></body></html>"
    )
    images, console = render_in_chromium(page, tmp_path / "profile")
    assert images == [{"alt": "broken", "complete": True, "width": 0}]
    assert any("broken page" in line for line in console)
