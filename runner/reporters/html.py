"""The HTML report: one self-contained file (no network: styles and script inline, a Content
Security Policy that forbids any fetch) for a person to read.

A summary with counts and a timing chart; a table of totals per request (runs, failures,
p50/p95 time); then the steps, failures first (each labelled with its iteration), the rest
grouped by iteration, each a ``<details>`` that opens on its request, response, checks (the
expected value as rendered, and in words: "at most 500 ms") and captures; a filter box and
status switches (``report.html#filter=TEXT`` presets the box; a request's name in the table
sets it). Steps stream to two temporary files (failures, the rest; an iteration's steps are
held until it ends, for its counts) and the page is put together and published atomically
when the run ends. Everything shown is masked and escaped.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from tempfile import TemporaryFile
from typing import IO, Any
from urllib.parse import quote

from runner.core.events import (
    Event,
    Interrupted,
    IterationFinished,
    IterationStarted,
    RunFinished,
    RunStarted,
)
from runner.core.results import RunResult
from runner.reporters import ReporterOptions
from runner.reporters.output import AtomicOutput, StepAssembler, pretty_body, step_record

MAX_STEPS_SHOWN = 2000  # per group (failures, the rest); the JSON report has them all
CHART_STEPS = 300  # up to this many steps: one bar each; more: a histogram of times
BUCKETS_MS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
OPEN_FAILURES = 5  # at most this many failures are shown open: the first of each request
MARKS = {"passed": "✔", "failed": "✘", "error": "!", "skipped": "–"}


@dataclass(slots=True)
class _Totals:
    """One request's totals over the run (every iteration)."""

    name: str
    runs: int = 0
    failed: int = 0
    skipped: int = 0
    times: list[float] | None = None

    def add(self, status: str, ms: float | None) -> None:
        self.runs += 1
        self.failed += status in ("failed", "error")
        self.skipped += status == "skipped"
        if ms is not None:
            if self.times is None:
                self.times = []
            self.times.append(ms)


@dataclass(slots=True)
class _Bar:
    index: int
    name: str
    ms: float
    status: str


class HtmlReporter:
    def __init__(self, options: ReporterOptions) -> None:
        self.options = options
        self.steps = StepAssembler()
        self.failures: IO[str] = TemporaryFile("w+", encoding="utf-8")
        self.others: IO[str] = TemporaryFile("w+", encoding="utf-8")
        self.shown = {"failures": 0, "others": 0}
        self.hidden = {"failures": 0, "others": 0}
        self.bars: list[_Bar] = []  # at most CHART_STEPS + 1
        self.histogram = [0] * (len(BUCKETS_MS) + 1)
        self.collection = "run"
        self.environment: str | None = None
        self.started = ""
        self.interrupted: str | None = None
        self.iterations = 1
        self.steps_per_iteration = 0
        self.totals: dict[int, _Totals] = {}  # by step index
        self.opened: set[int] = set()  # the requests whose first failure is shown open
        self.iteration: int | None = None  # the iteration being held (runs of several)
        self.held: list[str] = []
        self.held_counts = {"passed": 0, "failed": 0, "skipped": 0}
        self.held_ms = 0.0

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.collection = event.collection
            self.environment = event.environment
            self.iterations = event.iterations
            self.steps_per_iteration = event.total_steps
            self.started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            return
        if isinstance(event, IterationStarted):
            self._end_iteration()
            self.iteration = event.iteration
            return
        if isinstance(event, IterationFinished):
            self._end_iteration()
            return
        detail = self.steps.feed(event)
        if detail is not None:
            record = step_record(detail)
            self._chart(record)
            self._count(record)
            labelled = self.iterations > 1
            group = "failures" if record["status"] in ("failed", "error") else "others"
            if self.shown[group] >= MAX_STEPS_SHOWN:
                self.hidden[group] += 1
                return
            self.shown[group] += 1
            if group == "failures":
                opened = record["index"] not in self.opened and len(self.opened) < OPEN_FAILURES
                if opened:
                    self.opened.add(record["index"])
                self.failures.write(_step_html(record, labelled=labelled, opened=opened))
                if self.iteration is not None:  # its iteration points at it
                    self.held.append(_failure_stub(record))
            elif self.iteration is not None:
                self.held.append(_step_html(record, unique=True))
            else:
                self.others.write(_step_html(record, labelled=labelled))
        elif isinstance(event, Interrupted):
            where = f" during step {event.index} ({event.name})" if event.index else ""
            self.interrupted = f"Interrupted{where}"
        elif isinstance(event, RunFinished):
            self._end_iteration()
            self._finish(event.result)

    def _count(self, record: dict[str, Any]) -> None:
        """The request's totals, and the held iteration's counts."""
        name = " / ".join([*record["path"], record["name"]])
        totals = self.totals.setdefault(record["index"], _Totals(name))
        totals.add(record["status"], record["elapsed_ms"])
        if self.iteration is not None:
            status = record["status"]
            key = "failed" if status in ("failed", "error") else status
            self.held_counts[key] = self.held_counts.get(key, 0) + 1
            self.held_ms += record["elapsed_ms"] or 0.0

    def _end_iteration(self) -> None:
        """Write the held iteration: a ``<details>`` whose summary has its counts (open when
        a step of it failed)."""
        if self.iteration is None:
            return
        counts = self.held_counts
        bad = counts["failed"] > 0
        parts = [f"{counts['passed']} passed"]
        if counts["failed"]:
            parts.append(f'<span class="s-failed">{counts["failed"]} failed</span>')
        if counts["skipped"]:
            parts.append(f"{counts['skipped']} skipped")
        self.others.write(
            f'<details class="iter{" iter-bad" if bad else ""}"{" open" if bad else ""}>'
            f"<summary><b>Iteration {self.iteration}/{self.iterations}</b> "
            f'<span class="idx">{" · ".join(parts)} · {self.held_ms:.0f} ms</span></summary>\n'
            + "".join(self.held)
            + "</details>\n"
        )
        self.iteration = None
        self.held = []
        self.held_counts = {"passed": 0, "failed": 0, "skipped": 0}
        self.held_ms = 0.0

    def _chart(self, record: dict[str, Any]) -> None:
        ms = record["elapsed_ms"]
        if ms is None:
            return
        if len(self.bars) <= CHART_STEPS:
            self.bars.append(_Bar(record["index"], record["name"], ms, record["status"]))
        bucket = next((i for i, limit in enumerate(BUCKETS_MS) if ms < limit), len(BUCKETS_MS))
        self.histogram[bucket] += 1

    def _finish(self, run: RunResult) -> None:
        out = AtomicOutput(self.options.path, self.options.stream)
        try:
            out.write(self._head(run))
            for group, source in (("failures", self.failures), ("others", self.others)):
                source.flush()
                source.seek(0)
                while chunk := source.read(64 * 1024):
                    out.write(chunk)
                if self.hidden[group]:
                    what = "failed steps" if group == "failures" else "more steps"
                    out.write(
                        f'<p class="more">{self.hidden[group]} {what} not shown here '
                        "(the JSON report has every step).</p>\n"
                    )
            out.write(_FOOT.replace("__JS__", _asset("report.js")))
            out.commit()
        finally:
            out.discard()
            self.close()

    def _head(self, run: RunResult) -> str:
        title = escape(self.collection)
        counts = [
            ("passed", run.count("passed")),
            ("failed", run.count("failed")),
            ("error", run.count("error")),
            ("skipped", run.count("skipped")),
        ]
        items = "".join(
            f'<li class="s-{name}"><b>{n}</b> {"errors" if name == "error" else name}</li>'
            for name, n in counts
        )
        env = f" · environment <b>{escape(self.environment)}</b>" if self.environment else ""
        banner = ""
        if run.interrupted:
            banner = f'<p class="banner">{escape(self.interrupted or "Interrupted")}</p>'
        elif run.stopped_reason:
            reason = escape(run.stopped_reason)
            banner = f'<p class="banner">Stopped: {reason}</p>'
        verdict = "passed" if run.ok else "failed"
        shape = ""
        if self.iterations > 1:
            shape = f" ({self.steps_per_iteration} × {self.iterations} iterations)"
        switches = "".join(
            f'<label><input type="checkbox" data-status="{name}" checked> {name}</label>'
            for name, _ in counts
        )
        return (
            _HEAD.replace("__CSS__", _asset("report.css")).replace("__TITLE__", title)
            + f'<header class="v-{verdict}"><h1>{title}</h1>'
            f"<p>{run.total} steps{shape} in {run.duration_s:.2f} s{env} · started "
            f"{self.started}</p>"
            f'{banner}<ul class="counts">{items}</ul></header>\n'
            f'<section class="chart"><h2>Timing</h2>{self._svg()}</section>\n'
            f"{self._totals_table()}"
            '<section class="controls"><input id="filter" type="search" '
            'placeholder="Filter steps by name, URL, status, body…" aria-label="Filter steps">'
            f'{switches}<span id="shown"></span></section>\n<main id="steps">\n'
        )

    def _totals_table(self) -> str:
        """Per request: runs, failures, skipped, p50/p95/max time; its name sets the filter."""
        if not self.totals:
            return ""
        rows = []
        for index, t in sorted(self.totals.items()):
            times = sorted(t.times or [])
            timing = (
                [f"{_percentile(times, 50):.0f} ms", f"{_percentile(times, 95):.0f} ms",
                 f"{times[-1]:.0f} ms"] if times else ["—", "—", "—"]
            )  # fmt: skip
            bad = ' class="bad"' if t.failed else ""
            failed = f'<span class="s-failed">{t.failed}</span>' if t.failed else "0"
            link = f'<a href="#filter={quote(t.name)}">{escape(t.name)}</a>'
            cells = [f"#{index}", link, str(t.runs), failed, str(t.skipped), *timing]
            rows.append(f"<tr{bad}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        head = "".join(
            f"<th>{h}</th>"
            for h in ("", "request", "runs", "failed", "skipped", "p50", "p95", "max")
        )
        return (
            '<section class="totals"><h2>Requests</h2>'
            f'<table class="totals"><tr>{head}</tr>{"".join(rows)}</table></section>\n'
        )

    def _svg(self) -> str:
        if not self.bars:
            return "<p>No request took any time.</p>"
        if len(self.bars) <= CHART_STEPS:
            return _bar_chart(self.bars)
        return _histogram(self.histogram)

    def close(self) -> None:
        for handle in (self.failures, self.others):
            if not handle.closed:
                handle.close()


def _bar_chart(bars: list[_Bar]) -> str:
    width, height = 900, 160
    step = min(width / len(bars), 40.0)
    top = max(b.ms for b in bars) or 1.0
    rects = []
    for i, bar in enumerate(bars):
        h = max(1.0, (bar.ms / top) * (height - 20))
        rects.append(
            f'<rect class="s-{bar.status}" x="{i * step:.1f}" y="{height - h:.1f}" '
            f'width="{max(step - 1, 1):.1f}" height="{h:.1f}"><title>#{bar.index} '
            f"{escape(bar.name)}: {bar.ms:.0f} ms</title></rect>"
        )
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="time per step">'
        f'<text x="2" y="12" class="axis">{top:.0f} ms</text>{"".join(rects)}</svg>'
        '<p class="caption">Time per step, in run order (hover a bar for its step).</p>'
    )


def _histogram(counts: list[int]) -> str:
    width, height = 900, 160
    labels = [f"<{b} ms" for b in BUCKETS_MS] + [f"≥{BUCKETS_MS[-1]} ms"]
    top = max(counts) or 1
    step = width / len(counts)
    parts = []
    for i, (n, label) in enumerate(zip(counts, labels, strict=True)):
        h = (n / top) * (height - 40)
        parts.append(
            f'<rect class="s-passed" x="{i * step + 4:.1f}" y="{height - 20 - h:.1f}" '
            f'width="{step - 8:.1f}" height="{h:.1f}"><title>{n} steps {label}</title></rect>'
            f'<text x="{i * step + 4:.1f}" y="{height - 5}" class="axis">{escape(label)}</text>'
        )
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="step times">'
        f'{"".join(parts)}</svg><p class="caption">How many steps took how long.</p>'
    )


def _anchor(r: dict[str, Any], labelled: bool) -> str:
    """The step's id: unique across iterations."""
    return f"step-{r['iteration']}-{r['index']}" if labelled else f"step-{r['index']}"


def _failure_stub(r: dict[str, Any]) -> str:
    name = escape(" / ".join([*r["path"], r["name"]]))
    return (
        f'<p class="stub s-failed">{MARKS[r["status"]]} #{r["index"]} {name}: {r["status"]}, '
        f'<a href="#{_anchor(r, True)}">shown with the failures above</a></p>\n'
    )


def _percentile(ordered: list[float], p: float) -> float:
    """Nearest rank, as the console's summary."""
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def _step_html(
    r: dict[str, Any], *, labelled: bool = False, opened: bool = True, unique: bool = False
) -> str:
    """One step; ``labelled``: its iteration shown; ``unique``: its id names its iteration."""
    status = r["status"]
    name = " / ".join([*r["path"], r["name"]])
    request = r["request"]
    response = r["response"]
    head = [
        f'<span class="badge s-{status}">{MARKS[status]} {status}</span>',
        f'<span class="idx">#{r["index"]}</span>',
        *([f'<span class="idx">iteration {r["iteration"]}</span>'] if labelled else []),
        f'<span class="name">{escape(name)}</span>',
    ]
    if r["method"] and r["url"]:
        head.append(f'<code class="req">{escape(r["method"])} {escape(r["url"])}</code>')
    if r["status_code"] is not None:
        head.append(f'<span class="code">→ {r["status_code"]}</span>')
    if r["elapsed_ms"] is not None:
        head.append(f'<span class="ms">{r["elapsed_ms"]:.0f} ms</span>')
    body = [f'<p class="loc">{escape(r["location"])} · {r["kind"]} step</p>']
    if r["note"]:
        body.append(f'<p class="msg">{escape(r["note"])}</p>')
    if r["error"]:
        body.append(f'<p class="error">error: {escape(r["error"]["message"])}</p>')
    if r["checks"]:
        body.append("<h4>Checks</h4>" + _checks_table(r["checks"]))
    if r["warnings"]:
        body.append("<h4>Documentation warnings</h4>" + _checks_table(r["warnings"]))
    if request is not None:
        text = f"{request['method']} {request['url']}\n" + _headers(request["headers"])
        ctype = _content_type(request["headers"])
        if request["body"]:
            text += "\n" + _body(request["body"], ctype, request["truncated"], request["body_size"])
        body.append(f"<h4>Request</h4><pre>{escape(text)}</pre>")
    if response is not None:
        text = f"{response['status']} {response['reason']}\n" + _headers(response["headers"])
        ctype = _content_type(response["headers"])
        text += "\n" + _body(response["body"], ctype, response["truncated"], response["body_size"])
        body.append(f"<h4>Response</h4><pre>{escape(text)}</pre>")
    if r["captures"]:
        rows = "".join(
            f"<tr><td><code>{escape(k)}</code></td><td><code>{escape(_show(v))}</code></td></tr>"
            for k, v in r["captures"].items()
        )
        body.append(f'<h4>Captures</h4><table class="kv">{rows}</table>')
    opened_attr = " open" if opened and status in ("failed", "error") else ""
    anchor = _anchor(r, labelled or unique)
    return (
        f'<details class="step st-{status}" data-status="{status}" id="{anchor}"{opened_attr}>'
        f"<summary>{' '.join(head)}</summary>"
        f'<div class="detail">{"".join(body)}</div></details>\n'
    )


def _checks_table(checks: list[dict[str, Any]]) -> str:
    rows = []
    for c in checks:
        mark = "✔" if c["passed"] else "✘"
        actual = escape(_show(c["actual"]))
        if c["message"]:
            actual += f' <span class="msg">({escape(c["message"])})</span>'
        rows.append(
            f'<tr class="{"ok" if c["passed"] else "bad"}"><td>{mark}</td>'
            f"<td>{escape(c.get('name') or c['label'])}</td>"
            f"<td>{_expected(c['label'], c['expected'])}</td>"
            f"<td><code>{actual}</code></td>"
            f'<td class="where">{escape(c["location"] or "")}</td></tr>'
        )
    return (
        '<table class="checks"><tr><th></th><th>check</th><th>expected</th><th>actual</th>'
        f"<th>at</th></tr>{''.join(rows)}</table>"
    )


_WORDS = {
    "eq": "equal to {}", "ne": "not {}", "gt": "more than {}", "ge": "at least {}",
    "lt": "less than {}", "le": "at most {}", "contains": "containing {}",
    "matches": "matching {}", "type": "of type {}", "in": "one of {}", "length": "of length {}",
}  # fmt: skip


def _expected(label: str, expected: Any) -> str:
    """The expected value as rendered (code), and in words when it is a matcher:
    ``{"le": 500.0}`` on the time check -> "at most 500 ms"."""
    code = f"<code>{escape(_show(expected))}</code>"
    if (
        not isinstance(expected, dict)
        or not expected
        or not set(expected) <= set(_WORDS) | {"exists"}
    ):
        return code
    unit = " ms" if label == "time" else ""
    words = []
    for op, value in expected.items():
        if op == "exists":
            words.append("present" if value else "absent")
            continue
        shown = f"{value:g}" if isinstance(value, float) else _show(value)
        words.append(_WORDS[op].format(shown + unit))
    return f'{escape(" and ".join(words))}<br><span class="raw">{code}</span>'


def _headers(headers: list[list[str]]) -> str:
    return "".join(f"{n}: {v}\n" for n, v in headers)


def _content_type(headers: list[list[str]]) -> str:
    return next((v for n, v in headers if n.lower() == "content-type"), "")


def _body(text: str, content_type: str, truncated: bool, size: int) -> str:
    if truncated:
        return f"{text}\n… ({size} bytes in all; the rest is not shown)"
    return pretty_body(text, content_type)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _asset(name: str) -> str:
    """A file of runner/data (the report's style sheet and script), inlined into the page."""
    from importlib.resources import files

    return files("runner").joinpath("data", name).read_text(encoding="utf-8")


_HEAD = (
    "<!doctype html>\n"
    '<html lang="en"><head><meta charset="utf-8">\n'
    f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="generator" content="runner">\n'
    "<title>__TITLE__ · runner report</title>\n"
    "<style>\n__CSS__</style></head><body>\n"
)
_FOOT = "</main>\n<script>\n__JS__</script>\n</body></html>\n"


def merge_pages(pages: list[tuple[str, str]]) -> str:
    """One page from the reports of several collections (``--merge-reports``): ``pages`` are
    (label, page) as ``HtmlReporter`` wrote them; each becomes a section under a list of the
    collections with their verdicts, its step anchors prefixed with its label (unique on the
    page); the filter script works section by section."""
    links, sections, verdicts = [], [], set()
    for label, page in pages:
        body = page[page.index("<body>\n") + len("<body>\n") : page.rindex("</main>\n<script>")]
        title = page[page.index("<title>") + len("<title>") : page.index(" · runner report")]
        verdict = "passed" if '<header class="v-passed">' in body else "failed"
        verdicts.add(verdict)
        safe = escape(label)
        body = body.replace(' id="step-', f' id="{safe}-step-')
        body = body.replace(' href="#step-', f' href="#{safe}-step-')
        link = f'<a href="#collection-{safe}">{title}</a>'
        links.append(f'<li class="s-{verdict}">{link} {verdict}</li>')
        sections.append(
            f'<section class="report" id="collection-{safe}">\n{body}</main>\n</section>\n'
        )
    title = f"{len(pages)} collections"
    head = _HEAD.replace("__CSS__", _asset("report.css")).replace("__TITLE__", title)
    return (
        head
        + f'<header class="v-{"failed" if "failed" in verdicts else "passed"}"><h1>{title}</h1>'
        + f'<ul class="collections">{"".join(links)}</ul></header>\n'
        + "".join(sections)
        + _FOOT.replace("</main>\n", "").replace("__JS__", _asset("report.js"))
    )
