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
                outcome, message = "failed", child.get("message") or (child.text or "")[:300]
                break
            if child.tag == "skipped":
                outcome, message = "skipped", child.get("message") or ""
        cases.append(Case(module, tc.get("name", ""), outcome, redact(message), float(tc.get("time") or 0)))
    return cases


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


def fold(cases):
    """One result for several cases: failed if any failed, passed if any passed, else skipped."""
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
        detail = (detail + "; " if detail else "") + first[:160]
    return outcome, detail


class Report:
    def __init__(self, target, cases, titles=None):
        self.target = target
        self.cases = cases
        self.titles = titles or {}

    def totals(self):
        t = {"passed": 0, "failed": 0, "skipped": 0}
        for c in self.cases:
            t[c.outcome] += 1
        return t

    def areas(self):
        """[(area title, [(behaviour, outcome, detail)])] in the suite's order."""
        by_module = {}
        for c in self.cases:
            by_module.setdefault(c.module, {}).setdefault(c.function, []).append(c)
        out = []
        for module, functions in by_module.items():
            rows = [(behaviour_text(fn),) + fold(cs) for fn, cs in functions.items()]
            out.append((self.titles.get(module, module), rows))
        return sorted(out, key=lambda area: _natural(area[0]))

    def fixes(self):
        """[(circuitpython behaviour, here, outcome, test functions)] for contract section 5."""
        out = []
        for cp, here, pattern in DELIBERATE_FIXES:
            rx = re.compile(pattern)
            hit = [c for c in self.cases if rx.search(c.function)]
            outcome, _detail = fold(hit)
            names = sorted({c.function for c in hit})
            out.append((cp, here, outcome, names))
        return out

    # --- renderings ---
    def text(self, width=100):
        t = self.totals()
        lines = ["socketpool compatibility on target %s: %d passed, %d failed, %d skipped" % (
            self.target, t["passed"], t["failed"], t["skipped"]), ""]
        mark = {"passed": "pass", "failed": "FAIL", "skipped": "skip", "no test": "----"}
        for title, rows in self.areas():
            lines.append(title)
            for behaviour, outcome, detail in rows:
                row = "  %-4s  %s" % (mark[outcome], behaviour)
                if detail:
                    row += "  (%s)" % detail
                lines.append(row[:width] if outcome == "passed" else row)
            lines.append("")
        lines.append("Deliberate fixes (contract section 5): CircuitPython does -> here")
        for cp, here, outcome, names in self.fixes():
            lines.append("  %-4s  %s" % (mark[outcome], cp))
            lines.append("        -> %s%s" % (here, "" if names else "  [no test found by name]"))
        return redact("\n".join(lines) + "\n")

    def html(self):
        e = html.escape
        t = self.totals()
        cls = {"passed": "pass", "failed": "fail", "skipped": "skip", "no test": "none"}
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
        for title, rows in self.areas():
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
