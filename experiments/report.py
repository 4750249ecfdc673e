"""One self-contained HTML page over a results folder.

    python -m experiments report RESULTS_DIR [--output FILE]

finds every run directory under ``RESULTS_DIR`` (a directory holding
``config.json`` and ``metrics.csv``: ``results/<experiment>/<run-id>/``, a
sweep's ``runs/*``, or one run directory itself) and every sweep aggregate
(``aggregate/summary.csv``), and writes one HTML page (default
``RESULTS_DIR/report.html``) with, per run: its summary, its figures, its
configuration (preset, seed, settings, changes made with ``--set``), its
timings, and links to its CSV files; at the top the code version (``git
describe`` of the source tree, if it is a git checkout) and the versions of
the packages. Figures are embedded as ``data:`` URIs and the page loads
nothing from anywhere, so it reads offline, as a mail attachment, or
archived beside the results; the CSV links are relative to the page.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

REPORT_NAME = "report.html"

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em;
       margin-top: 2.2em; } h3 { margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
pre { background: #f7f7f7; padding: 0.7em; overflow-x: auto; font-size: 0.85em; }
details { margin: 0.6em 0; } summary { cursor: pointer; font-weight: 600; }
.meta { color: #555; font-size: 0.9em; } nav ul { columns: 2; }
"""


class ReportError(ValueError):
    """The folder holds nothing to report, or cannot be read."""


@dataclass
class RunFolder:
    path: Path
    config: dict
    figures: list[Path] = field(default_factory=list)
    csvs: list[Path] = field(default_factory=list)


def find_runs(root: Path) -> list[RunFolder]:
    """Every finished run directory under ``root`` (``root`` itself included), sorted."""
    found = []
    candidates = [root, *sorted(p.parent for p in root.rglob("config.json"))]
    for directory in dict.fromkeys(candidates):
        if any(part.startswith(".") for part in directory.relative_to(root).parts):
            continue  # a run being written (.NAME.partial) or a trashed one
        if not (directory / "config.json").is_file() or not (directory / "metrics.csv").is_file():
            continue
        try:
            config = json.loads((directory / "config.json").read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ReportError(f"{directory / 'config.json'} cannot be read: {error}") from None
        found.append(
            RunFolder(
                directory,
                config,
                sorted((directory / "figures").glob("*.png")),
                sorted(directory.glob("*.csv")),
            )
        )
    return found


def find_aggregates(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("aggregate/summary.csv"))


def code_version() -> str:
    """``git describe --always --dirty --tags`` of the source tree, or a plain statement."""
    source = Path(__file__).resolve().parents[1]
    try:
        described = subprocess.run(
            ["git", "-C", str(source), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (git is not available)"
    if described.returncode != 0:
        return "unknown (the source is not a git checkout)"
    return described.stdout.strip()


def package_versions() -> dict:
    import importlib.metadata as md
    import platform

    versions = {"python": platform.python_version()}
    for package in (
        "brain-vs-ann",
        "numpy",
        "scipy",
        "brian2",
        "networkx",
        "scikit-learn",
        "pandas",
        "matplotlib",
        "dask",
        "distributed",
    ):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return versions


# -- a little Markdown: what summary.md files hold ---------------------------------------------


def _inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", text)


def markdown_to_html(text: str, heading_offset: int = 2) -> str:
    """Headings, paragraphs, pipe tables and bullet lists, as summary.md files use them.

    >>> markdown_to_html("# Title\\n\\n| a | b |\\n| --- | --- |\\n| 1 | `x` |")
    '<h3>Title</h3>\\n<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td><code>x</code></td></tr></table>'
    """
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = min(6, len(line) - len(line.lstrip("#")) + heading_offset)
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            body = "".join(
                "<tr>"
                + "".join(
                    f"<{'th' if r == 0 else 'td'}>{_inline(c)}</{'th' if r == 0 else 'td'}>"
                    for c in cells
                )
                + "</tr>"
                for r, cells in enumerate(rows)
            )
            out.append(f"<table>{body}</table>")
        elif re.match(r"\s*[-*] ", line):
            items = []
            while i < len(lines) and re.match(r"\s*[-*] ", lines[i]):
                item = _inline(re.sub(r"^\s*[-*] ", "", lines[i]))
                items.append(f"<li>{item}</li>")
                i += 1
            out.append(f"<ul>{''.join(items)}</ul>")
        else:
            paragraph = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not lines[i].startswith("#")
                and not lines[i].lstrip().startswith("|")
            ):
                paragraph.append(lines[i].strip())
                i += 1
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
    return "\n".join(out)


# -- the page ----------------------------------------------------------------------------------


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(path.name)}</figcaption></figure>"
    )


def _link(path: Path, page_dir: Path) -> str:
    relative = Path(os.path.relpath(path, page_dir)).as_posix()
    return f'<a href="{html.escape(relative)}">{html.escape(path.name)}</a>'


def _anchor(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def _timings_html(path: Path) -> str:
    if not path.is_file():
        return "<p class='meta'>no timings.csv in this run</p>"
    table = pd.read_csv(path)
    seconds = [c for c in table.columns if c.endswith("seconds")]
    total = "".join(
        f"<li>{html.escape(c)}: total {table[c].sum():.1f} s over {len(table)} rows</li>"
        for c in seconds
    )
    shown = table.head(40).to_html(index=False, border=0, float_format=lambda v: f"{v:.3g}")
    more = f"<p class='meta'>first 40 of {len(table)} rows</p>" if len(table) > 40 else ""
    return f"<ul>{total}</ul><details><summary>timings.csv</summary>{shown}{more}</details>"


def _run_html(run: RunFolder, root: Path, page_dir: Path) -> str:
    config = run.config
    name = config.get("experiment", run.path.name)
    where = run.path.relative_to(root).as_posix() if run.path != root else "."
    parts = [f'<h2 id="{_anchor(where)}">{html.escape(name)} — {html.escape(where)}</h2>']
    from experiments._base import EXPERIMENTS

    if name in EXPERIMENTS:
        parts.append(f"<p>{html.escape(EXPERIMENTS[name].description)}</p>")
    facts = [
        ("preset", config.get("preset")),
        ("seed", config.get("seed")),
        ("changed with --set", config.get("overrides")),
        ("sweep setting", (config.get("sweep") or {}).get("setting")),
    ]
    parts.append(
        "<table>"
        + "".join(
            f"<tr><th>{k}</th><td>{html.escape(json.dumps(v))}</td></tr>"
            for k, v in facts
            if v is not None
        )
        + "</table>"
    )
    summary = run.path / "summary.md"
    if summary.is_file():
        parts.append(markdown_to_html(summary.read_text()))
    for figure in run.figures:
        parts.append(_image(figure, f"{name}: {figure.stem}"))
    parts.append("<h3>Timings</h3>" + _timings_html(run.path / "timings.csv"))
    parts.append(
        "<h3>Data</h3><p>" + " · ".join(_link(p, page_dir) for p in run.csvs) + "</p>"
        "<details><summary>settings (config.json)</summary><pre>"
        + html.escape(json.dumps(config.get("settings", {}), indent=2))
        + "</pre></details>"
    )
    versions = config.get("versions")
    if versions:
        parts.append(
            "<p class='meta'>run with "
            + html.escape(", ".join(f"{k} {v}" for k, v in versions.items()))
            + "</p>"
        )
    return "\n".join(parts)


def _aggregate_html(directory: Path, root: Path, page_dir: Path) -> str:
    where = directory.relative_to(root).as_posix()
    summary = pd.read_csv(directory / "summary.csv")
    parts = [
        f'<h2 id="{_anchor(where)}">sweep aggregate — {html.escape(where)}</h2>',
        f"<p>{len(summary)} rows of means and t intervals: "
        + _link(directory / "summary.csv", page_dir)
        + (
            " · " + _link(directory / "observations.csv", page_dir)
            if (directory / "observations.csv").is_file()
            else ""
        )
        + "</p>",
    ]
    for figure in sorted((directory / "figures").glob("*.png")):
        parts.append(_image(figure, f"{where}: {figure.stem}"))
    return "\n".join(parts)


def write_report(results_dir: str | Path, output: str | Path | None = None) -> Path:
    """Write the report page of ``results_dir``; returns its path.

    Raises
    ------
    ReportError
        If ``results_dir`` is not a directory or holds no finished run.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise ReportError(f"{results_dir} is not a directory")
    root = root.resolve()
    runs = find_runs(root)
    aggregates = find_aggregates(root)
    if not runs and not aggregates:
        raise ReportError(
            f"no finished run under {results_dir} (a run directory holds config.json and "
            "metrics.csv); run an experiment first"
        )
    output = Path(output) if output is not None else root / REPORT_NAME
    page_dir = output.parent.resolve()
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    versions = package_versions()
    toc = "".join(
        f'<li><a href="#{_anchor(r.path.relative_to(root).as_posix() if r.path != root else ".")}">'
        f"{html.escape(r.config.get('experiment', '?'))} — "
        f"{html.escape(r.path.name)}</a></li>"
        for r in runs
    ) + "".join(
        f'<li><a href="#{_anchor(a.relative_to(root).as_posix())}">sweep aggregate — '
        f"{html.escape(a.relative_to(root).as_posix())}</a></li>"
        for a in aggregates
    )
    body = [
        "<h1>brain-vs-ann results</h1>",
        f"<p class='meta'>{html.escape(str(root))} · {len(runs)} run(s), "
        f"{len(aggregates)} sweep aggregate(s) · page written {generated}</p>",
        "<table>"
        f"<tr><th>code version</th><td>{html.escape(code_version())}</td></tr>"
        "<tr><th>packages (writing this page)</th><td>"
        + html.escape(", ".join(f"{k} {v}" for k, v in versions.items()))
        + "</td></tr></table>",
        f"<nav><ul>{toc}</ul></nav>",
        *(_run_html(run, root, page_dir) for run in runs),
        *(_aggregate_html(a, root, page_dir) for a in aggregates),
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>brain-vs-ann results: {html.escape(root.name)}</title>"
        f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    from core.archive import replaced_atomically

    with replaced_atomically(output) as file:
        file.write(page.encode("utf-8"))
    return output
