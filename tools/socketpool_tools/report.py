"""The compatibility report of a conformance run: a table printed to the terminal and the same
as an HTML page. Built from the run's JUnit XML, so any pytest run can be turned into one.

Rows are the suite's behaviours (one per test function, its parametrised cases folded together)
grouped by contract area (the test module's docstring); a second table lists the contract's
deliberate fixes (section 5) with CircuitPython's own behaviour beside the result of the tests
that pin each fix (found by test name).
"""

import ast
import html
import os
import re
import textwrap
import xml.etree.ElementTree as ET

from socketpool_tools.redact import redact

# contract.md section 5: (CircuitPython port behaviour, behaviour here, test-name pattern)
DELIBERATE_FIXES = (
    ("espressif: send raises EAGAIN on a blocking socket when the buffer is full, so sendall fails part-way",
     "blocking send waits for room; sendall completes or times out",
     r"send\w*_(waits|blocks)|sendall\w*(every_byte|completes|times_out)"),
    ("espressif: non-blocking connect raises ETIMEDOUT and the socket can never send",
     "EINPROGRESS, and the socket works once connected",
     r"connect\w*non_?blocking|non_?blocking\w*connect|connect\w*einprogress"),
    ("raspberrypi: connect timeout raises EINPROGRESS",
     "ETIMEDOUT",
     r"connect\w*(timeout|timed_out|etimedout)"),
    ("both: a refused connect reports ECONNRESET",
     "ECONNREFUSED (a reset while connecting is a refusal)",
     r"refused"),
    ("espressif: non-blocking recv at end of stream raises ENOTCONN",
     "returns 0",
     r"recv\w*(returns_0|eof|end_of_stream)\w*(every_mode|non_?blocking)"
     r"|non_?blocking_recv\w*(end_of_stream|returns_0)"),
    ("raspberrypi: after a reset the next call raises EBADF",
     "ECONNRESET",
     r"after_reset\w*econnreset"),
    ("raspberrypi: recv_into returns at most one segment",
     "gathers what is queued, up to bufsize",
     r"gather"),
    ("raspberrypi: one UDP datagram buffered per socket",
     "at least 4",
     r"(four|4|several)_datagrams|datagrams\w*queued|queues\w*datagrams"),
    ("espressif: accepted sockets are non-blocking by accident",
     "inherit the listener's timeout (as raspberrypi)",
     r"accept\w*inherit|inherits?\w*timeout"),
    ("espressif: listen errors ignored; ops on closed sockets spin forever",
     "errors raised; EBADF at once",
     r"listen\w*(raise|error)|closed\w*(ebadf|raise)"),
    ("shared layer: proto= keyword to getaddrinfo is rejected",
     "accepted",
     r"(six|proto)\w*keyword"),
    ("timeouts below 1 ms silently become non-blocking; negative timeouts undefined",
     "rounded up to 1 ms; ValueError",
     r"(below|under|sub)_?1_?ms|rounds?_up|negative\w*timeout|timeout\w*negative"),
    ("raspberrypi: a failed lookup prints to the console",
     "silent; gaierror only",
     r"(lookup|resolv|gaierror|getaddrinfo)\w*(silent|prints_nothing|quiet)|prints_nothing"),
    ("raspberrypi: setsockopt on a closed socket dereferences NULL",
     "EBADF",
     r"setsockopt\w*closed|closed\w*setsockopt"),
)

ORDER = {"failed": 0, "passed": 1, "skipped": 2}
MARK = {"passed": "pass", "failed": "FAIL", "skipped": "skip", "no test": "----", "not run": "----"}
CSS_CLASS = {"passed": "pass", "failed": "fail", "skipped": "skip", "no test": "none", "not run": "none"}
DETAIL_CHARS = 300  # a message longer than this is cut at a word, with " ..."


def shorten(text, limit=DETAIL_CHARS):
    """``text`` cut to at most ``limit`` characters at a space (never inside a word), marked " ..."."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 4].rstrip()
    if " " in cut:
        cut = cut[: cut.rindex(" ")].rstrip()
    return cut + " ..."


class Case:
    def __init__(self, module, name, outcome, message="", seconds=0.0):
        self.module = module  # e.g. test_tcp
        self.name = name  # e.g. test_connect_refused_raises_econnrefused[ipv4]
        self.outcome = outcome  # passed, failed, skipped
        self.message = message
        self.seconds = seconds

    @property
    def function(self):
        return self.name.split("[", 1)[0]


def read_junit(path):
    """[Case] from a pytest JUnit XML file."""
    root = ET.parse(path).getroot()
    cases = []
    for tc in root.iter("testcase"):
        module = tc.get("classname", "").split(".")[-1]
        outcome, message = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", child.get("message") or shorten(child.text or "")
                break
            if child.tag == "skipped":
                outcome, message = "skipped", child.get("message") or ""
        cases.append(Case(module, tc.get("name", ""), outcome, redact(message), float(tc.get("time") or 0)))
    return cases


def read_properties(path):
    """The run's JUnit properties ({name: value}): the plugin records socketpool_target,
    socketpool_keyword and socketpool_deselected (module::function names)."""
    root = ET.parse(path).getroot()
    return {p.get("name"): p.get("value") or "" for p in root.iter("property")}


def load_report(path, titles=None, target=None):
    """The Report of one JUnit XML file; the target from its properties unless given (else the
    file name, check-<target>.xml)."""
    props = read_properties(path)
    if target is None:
        target = props.get("socketpool_target")
    if not target:
        base = os.path.basename(path)
        target = base[len("check-"):] if base.startswith("check-") else base
        target = target[:-4] if target.endswith(".xml") else target
    deselected = props.get("socketpool_deselected", "").split()
    return Report(target, read_junit(path), titles, deselected=deselected, keyword=props.get("socketpool_keyword"))


def area_titles(test_dir):
    """{module name: first paragraph of its docstring, on one line} for the suite's modules."""
    titles = {}
    if not test_dir or not os.path.isdir(test_dir):
        return titles
    for f in sorted(os.listdir(test_dir)):
        if f.startswith("test_") and f.endswith(".py"):
            try:
                with open(os.path.join(test_dir, f), encoding="utf-8") as fh:
                    doc = ast.get_docstring(ast.parse(fh.read()))
            except (OSError, SyntaxError):
                doc = None
            if doc:
                first = doc.strip().split("\n\n")[0]  # the first paragraph, however it wraps
                titles[f[:-3]] = " ".join(first.split()).rstrip(".")
    return titles


def _natural(title):
    """Sort key: "Contract section 2: ..." before "Contract section 10: ..."."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", title)]


def behaviour_text(function):
    return function[5:].replace("_", " ") if function.startswith("test_") else function


def fold(cases, limit=DETAIL_CHARS):
    """One result for several cases: failed if any failed, passed if any passed, else skipped;
    the detail names the counts and the worst case's message (its first line; up to ``limit``
    characters, cut at a word; None: whole)."""
    if not cases:
        return "no test", ""
    worst = min(cases, key=lambda c: ORDER[c.outcome])
    outcome = worst.outcome
    counts = {}
    for c in cases:
        counts[c.outcome] = counts.get(c.outcome, 0) + 1
    if len(cases) > 1:
        detail = ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items(), key=lambda kv: ORDER[kv[0]]))
    else:
        detail = ""
    if outcome != "passed" and worst.message:
        first = worst.message.strip().splitlines()[0] if worst.message.strip() else ""
        detail = (detail + "; " if detail else "") + (shorten(first, limit) if limit else first)
    return outcome, detail


class Report:
    def __init__(self, target, cases, titles=None, deselected=(), keyword=None):
        self.target = target
        self.cases = cases
        self.titles = titles or {}
        self.deselected = sorted(deselected)  # "module::function" left out by -k
        self.keyword = keyword

    @property
    def partial(self):
        return bool(self.keyword or self.deselected)

    def totals(self):
        t = {"passed": 0, "failed": 0, "skipped": 0}
        for c in self.cases:
            t[c.outcome] += 1
        return t

    def areas(self, limit=DETAIL_CHARS):
        """[(area title, [(behaviour, outcome, detail)])] in the suite's order."""
        by_module = {}
        for c in self.cases:
            by_module.setdefault(c.module, {}).setdefault(c.function, []).append(c)
        out = []
        for module, functions in by_module.items():
            rows = [(behaviour_text(fn),) + fold(cs, limit) for fn, cs in functions.items()]
            out.append((self.titles.get(module, module), rows))
        return sorted(out, key=lambda area: _natural(area[0]))

    def fixes(self):
        """[(circuitpython behaviour, here, outcome, test functions)] for contract section 5."""
        out = []
        left_out = [d.split("::", 1)[-1] for d in self.deselected]
        for cp, here, pattern in DELIBERATE_FIXES:
            rx = re.compile(pattern)
            hit = [c for c in self.cases if rx.search(c.function)]
            outcome, _detail = fold(hit)
            names = sorted({c.function for c in hit})
            if not hit:
                names = sorted({n for n in left_out if rx.search(n)})
                if names:
                    outcome = "not run"  # its tests exist but this run deselected them
            out.append((cp, here, outcome, names))
        return out

    # --- renderings ---
    def partial_note(self):
        """One line saying what a partial run left out ("" for a whole run)."""
        if not self.partial:
            return ""
        funcs = len(self.deselected)
        return "partial run%s: %d test function%s deselected, shown as \"not run\"" % (
            " (-k %s)" % self.keyword if self.keyword else "", funcs, "" if funcs == 1 else "s")

    def text(self, width=100):
        t = self.totals()
        lines = ["socketpool compatibility on target %s: %d passed, %d failed, %d skipped" % (
            self.target, t["passed"], t["failed"], t["skipped"])]
        if self.partial:
            lines.append(self.partial_note())
        lines.append("")
        wrap = dict(width=width, subsequent_indent=" " * 10, break_long_words=False, break_on_hyphens=False)
        for title, rows in self.areas():
            lines.append(title)
            for behaviour, outcome, detail in rows:
                row = "  %-4s  %s" % (MARK[outcome], behaviour)
                if detail:
                    row += "  (%s)" % detail
                lines += textwrap.wrap(row, initial_indent="", **wrap) or [row]
            lines.append("")
        lines.append("Deliberate fixes (contract section 5): CircuitPython does -> here")
        for cp, here, outcome, names in self.fixes():
            lines.append("  %-4s  %s" % (MARK[outcome], cp))
            if outcome == "not run":
                tag = "  [not run: deselected]"
            else:
                tag = "" if names else "  [no test found by name]"
            lines.append("        -> %s%s" % (here, tag))
        return redact("\n".join(lines) + "\n")

    def html(self):
        e = html.escape
        t = self.totals()
        cls = CSS_CLASS
        out = [
            "<!DOCTYPE html>",
            "<html><head><meta charset='utf-8'><title>socketpool on %s</title>" % e(self.target),
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
            "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
            ".pass{background:#d8f5d0}.fail{background:#f8d0d0}.skip{background:#eee}.none{background:#fff3c0}"
            "</style></head><body>",
            "<h1>socketpool compatibility on target <code>%s</code></h1>" % e(self.target),
            "<p>%d passed, %d failed, %d skipped</p>" % (t["passed"], t["failed"], t["skipped"]),
        ]
        if self.partial:
            out.append("<p><strong>%s</strong></p>" % e(self.partial_note()))
        for title, rows in self.areas(limit=None):
            out.append("<h2>%s</h2><table><tr><th>behaviour</th><th>result</th><th>detail</th></tr>" % e(title))
            for behaviour, outcome, detail in rows:
                out.append("<tr><td>%s</td><td class='%s'>%s</td><td>%s</td></tr>" % (
                    e(behaviour), cls[outcome], e(outcome), e(detail)))
            out.append("</table>")
        out.append("<h2>Deliberate fixes (contract section 5)</h2><table><tr><th>CircuitPython</th>"
                   "<th>here</th><th>result</th><th>tests</th></tr>")
        for cp, here, outcome, names in self.fixes():
            out.append("<tr><td>%s</td><td>%s</td><td class='%s'>%s</td><td>%s</td></tr>" % (
                e(cp), e(here), cls[outcome], e(outcome), "<br>".join(e(n) for n in names)))
        out.append("</table></body></html>")
        return redact("\n".join(out) + "\n")


# --- several targets side by side -------------------------------------------------------------

def _counts(outcomes):
    """"12 pass / 2 skip" for a list of case outcomes."""
    n = {}
    for o in outcomes:
        n[o] = n.get(o, 0) + 1
    return " / ".join("%d %s" % (n[o], MARK[o]) for o in ("passed", "failed", "skipped") if o in n) or "-"


class Matrix:
    """Several targets' reports as one table: behaviours down, targets across; a row whose
    targets disagree is a difference (highlighted in HTML, listed in the Markdown)."""

    def __init__(self, reports, links=None):
        self.reports = list(reports)
        self.links = list(links) if links else [None] * len(self.reports)

    @property
    def targets(self):
        return [r.target for r in self.reports]

    def rows(self):
        """[(area title, behaviour, [(outcome, detail) per target])] in the suite's order."""
        order, cells = [], {}
        for i, rep in enumerate(self.reports):
            for title, rows in rep.areas(limit=None):
                for behaviour, outcome, detail in rows:
                    key = (title, behaviour)
                    if key not in cells:
                        order.append(key)
                        cells[key] = {}
                    cells[key][i] = (outcome, detail)
        order.sort(key=lambda k: _natural(k[0]))  # stable: behaviours keep their order in an area
        out = []
        for key in order:
            row = [cells[key].get(i, ("not run" if self.reports[i].partial else "no test", ""))
                   for i in range(len(self.reports))]
            out.append((key[0], key[1], row))
        return out

    @staticmethod
    def differs(cells):
        return len({outcome for outcome, _ in cells}) > 1

    def fixes(self):
        """[(circuitpython, here, [outcome per target])]."""
        per = [rep.fixes() for rep in self.reports]
        return [(cp, here, [p[k][2] for p in per]) for k, (cp, here, _o, _n) in enumerate(per[0])] if per else []

    def areas(self):
        """[(area title, [case-count text per target])]."""
        by_area = {}
        for i, rep in enumerate(self.reports):
            for c in rep.cases:
                title = rep.titles.get(c.module, c.module)
                by_area.setdefault(title, [[] for _ in self.reports])[i].append(c.outcome)
        return [(t, [_counts(x) for x in by_area[t]]) for t in sorted(by_area, key=_natural)]

    def totals_text(self, rep):
        t = rep.totals()
        return "%d passed, %d failed, %d skipped" % (t["passed"], t["failed"], t["skipped"])

    def skip_reasons(self, rep):
        """"15 x reason; 2 x other" for a target's skipped cases, most frequent first."""
        n = {}
        for c in rep.cases:
            if c.outcome == "skipped":
                reason = " ".join((c.message or "no reason given").split())
                reason = reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
                n[reason] = n.get(reason, 0) + 1
        return "; ".join("%d x %s" % (k, r) for r, k in sorted(n.items(), key=lambda kv: (-kv[1], kv[0])))

    # --- renderings ---
    def html(self):
        e = html.escape
        head = "".join("<th>%s</th>" % (("<a href='%s'>%s</a>" % (e(link), e(t))) if link else e(t))
                       for t, link in zip(self.targets, self.links))
        rows = self.rows()
        ndiff = sum(1 for _a, _b, cells in rows if self.differs(cells))
        out = [
            "<!DOCTYPE html>",
            "<html><head><meta charset='utf-8'><title>socketpool compatibility matrix</title>",
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
            "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
            ".pass{background:#d8f5d0}.fail{background:#f8d0d0}.skip{background:#eee}.none{background:#fff3c0}"
            "tr.diff td:first-child{border-left:6px solid #e07000;font-weight:bold}"
            "</style></head><body>",
            "<h1>socketpool compatibility matrix</h1>",
            "<p>%d targets, %d behaviours, <strong>%d where the targets differ</strong> (marked). "
            "Each target's own page is linked from its column.</p>" % (len(self.reports), len(rows), ndiff),
            "<table><tr><th>target</th><th>cases</th></tr>",
        ]
        for rep, link in zip(self.reports, self.links):
            name = ("<a href='%s'>%s</a>" % (e(link), e(rep.target))) if link else e(rep.target)
            note = (" (%s)" % e(rep.partial_note())) if rep.partial else ""
            out.append("<tr><td>%s</td><td>%s%s</td></tr>" % (name, e(self.totals_text(rep)), note))
        out.append("</table>")
        area = None
        for title, behaviour, cells in rows:
            if title != area:
                if area is not None:
                    out.append("</table>")
                area = title
                out.append("<h2>%s</h2><table><tr><th>behaviour</th>%s</tr>" % (e(title), head))
            tds = "".join("<td class='%s' title='%s'>%s</td>" % (CSS_CLASS[o], e(d), e(MARK[o] if o in ("no test", "not run") else o))
                          for o, d in cells)
            out.append("<tr%s><td>%s</td>%s</tr>" % (" class='diff'" if self.differs(cells) else "", e(behaviour), tds))
        if area is not None:
            out.append("</table>")
        out.append("<h2>Deliberate fixes (contract section 5)</h2><table><tr><th>CircuitPython does</th>"
                   "<th>here</th>%s</tr>" % head)
        for cp, here, outcomes in self.fixes():
            tds = "".join("<td class='%s'>%s</td>" % (CSS_CLASS[o], e(o)) for o in outcomes)
            diff = " class='diff'" if len(set(outcomes)) > 1 else ""
            out.append("<tr%s><td>%s</td><td>%s</td>%s</tr>" % (diff, e(cp), e(here), tds))
        out.append("</table>")
        for rep in self.reports:
            reasons = self.skip_reasons(rep)
            if reasons:
                out.append("<p><strong>%s</strong> skips: %s</p>" % (e(rep.target), e(reasons)))
        out.append("</body></html>")
        return redact("\n".join(out) + "\n")

    def markdown(self):
        """The generated part of docs/compatibility.md: totals, areas, the behaviours where the
        targets differ, the deliberate fixes, and each target's skip reasons."""
        cell = lambda text: str(text).replace("|", "\\|")  # noqa: E731
        cols = " | ".join("`%s`" % t for t in self.targets)
        sep = "|---" * (len(self.targets) + 1) + "|"
        out = ["| target | cases |", "|---|---|"]
        for rep in self.reports:
            note = " (%s)" % rep.partial_note() if rep.partial else ""
            out.append("| `%s` | **%s**%s |" % (rep.target, self.totals_text(rep), cell(note)))
        out += ["", "| contract area (cases) | %s |" % cols, sep]
        for title, counts in self.areas():
            out.append("| %s | %s |" % (cell(title), " | ".join(counts)))
        rows = self.rows()
        diffs = [(t, b, c) for t, b, c in rows if self.differs(c)]
        out += ["", "Behaviours where the targets differ: %d of %d (a skip names the target's stated limit)." % (
            len(diffs), len(rows)), ""]
        if diffs:
            out += ["| area | behaviour | %s |" % cols, "|---" + sep]
            for title, behaviour, cells in diffs:
                area_no = title.split(":", 1)[0]
                out.append("| %s | %s | %s |" % (cell(area_no), cell(behaviour), " | ".join(
                    cell(MARK[o] + (" (%s)" % shorten(d, 120) if d and o != "passed" else "")) for o, d in cells)))
        out += ["", "| CircuitPython does | here | %s |" % cols, "|---" + sep]
        for cp, here, outcomes in self.fixes():
            out.append("| %s | %s | %s |" % (cell(cp), cell(here), " | ".join(outcomes)))
        out.append("")
        for rep in self.reports:
            reasons = self.skip_reasons(rep)
            if reasons:
                out += ["**%s** skips: %s" % (rep.target, cell(reasons)), ""]
        return redact("\n".join(out).rstrip() + "\n")


GENERATED_BEGIN = "<!-- generated by `socketpool report --markdown`: begin (do not edit by hand) -->"
GENERATED_END = "<!-- generated by `socketpool report --markdown`: end -->"


def update_markdown(path, generated):
    """Replace the generated part of ``path`` (between GENERATED_BEGIN/END) with ``generated``;
    a file without the markers gets them appended; a missing file is made."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Compatibility report\n\n"
    block = "%s\n%s%s" % (GENERATED_BEGIN, generated, GENERATED_END)
    if GENERATED_BEGIN in text and GENERATED_END in text:
        head, rest = text.split(GENERATED_BEGIN, 1)
        tail = rest.split(GENERATED_END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
