"""``socketpool check``: the conformance suite on a target, as a compatibility table and HTML."""

import os
import subprocess
import sys

from socketpool_tools import redact
from socketpool_tools import report as _report
from socketpool_tools.paths import find_suite, log_path, safe_name
from socketpool_tools.settings import SettingsError, register_secrets
from socketpool_tools.target_names import parse_target
from socketpool_tools.targets import best_local_target, probe_target
from socketpool_tools.transport import TargetError

HELP = "run the conformance suite on a target and print the compatibility table"


def add_arguments(p):
    p.add_argument("--target", default=None,
                   help="host, micropython, host-lwip-esp32, host-lwip-rp2, a serial port, "
                   "rfc2217://host:port, socket://host:port, auto, rp2040js:<firmware.uf2> "
                   "(default: micropython when its unix port is installed, else host)")
    p.add_argument("--html", default=None, metavar="PATH",
                   help="HTML report (default reports/check-<target>.html)")
    p.add_argument("--junitxml", default=None, metavar="PATH",
                   help="JUnit XML of the run (default reports/check-<target>.xml)")
    p.add_argument("--target-log", default=None, metavar="DIR",
                   help="log of everything exchanged with a remote target (default reports/)")
    p.add_argument("--retries", type=int, default=0, metavar="N",
                   help="rerun a failed case up to N times on a remote target")
    p.add_argument("--case-timeout", type=float, default=None, metavar="S")
    p.add_argument("--peer-host", default=None, help="this computer's address as a Wi-Fi board sees it")
    p.add_argument("--bootrom", default=None, help="RP2040 bootrom image (rp2040js targets)")
    p.add_argument("--link", default=None, choices=("auto", "slip", "none"),
                   help="rp2040js: the SLIP link to this computer (default auto)")
    p.add_argument("-k", dest="keyword", default=None,
                   help="only cases matching this pytest -k expression (a partial run: its reports "
                   "get their own names, check-<target>-k-<expr>.*)")
    p.add_argument("--settings", default="settings.toml",
                   help="settings.toml with CIRCUITPY_WIFI_SSID/PASSWORD for a Wi-Fi board (default "
                   "./settings.toml); its secrets are masked in every report")
    p.add_argument("--matrix", default=None, metavar="PATH",
                   help="with several targets (--target a,b,...): the matrix page, behaviours down "
                   "and targets across (default reports/check-matrix.html)")
    p.add_argument("--suite", default=None, metavar="DIR",
                   help="a conformance suite directory (default: the checkout's tests/conformance)")


def fail(message):
    """One line on stderr, exit status 2: the run could not start."""
    print("socketpool check: %s" % " ".join(str(message).split()), file=sys.stderr)
    return 2


def check_arguments(args):
    """What is wrong with the command line, or None."""
    if args.retries < 0:
        return "--retries must be 0 or more, not %d" % args.retries
    if args.case_timeout is not None and not args.case_timeout > 0:
        return "--case-timeout must be a number of seconds above 0, not %s" % args.case_timeout
    if args.bootrom and not os.path.isfile(args.bootrom):
        return "--bootrom %s: no such file" % args.bootrom
    if args.keyword is not None and not args.keyword.strip():
        return "-k needs an expression"
    return None


def report_paths(args, name, several):
    """(html, xml) of one target's run. A partial run (-k) gets names of its own, so it never
    replaces the whole run's report."""
    stem = "check-%s" % name
    if args.keyword:
        stem += "-k-" + safe_name(args.keyword)[:40]
    html_path = args.html if args.html and not several else os.path.join("reports", stem + ".html")
    xml_path = args.junitxml if args.junitxml and not several else os.path.join("reports", stem + ".xml")
    return os.path.abspath(html_path), os.path.abspath(xml_path)


def scrub_file(path):
    """Mask registered secrets in a file pytest wrote (the JUnit XML), whatever wrote them there."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    clean = redact.redact(text)
    if clean != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(clean)


def run_one(args, spec, root, suite, several):
    """Run the suite on one target; (exit status, Report or None, html path, xml path)."""
    html_path, xml_path = report_paths(args, safe_name(spec.name), several)
    log_dir = os.path.abspath(args.target_log or "reports")
    for p in (html_path, xml_path):
        os.makedirs(os.path.dirname(p), exist_ok=True)
    cmd = [sys.executable, "-m", "pytest", suite, "--target", spec.name, "--junitxml", xml_path,
           "-q", "--tb=short", "-p", "no:cacheprovider", "--rootdir", root,
           "-o", "junit_family=xunit2", "--settings", os.path.abspath(args.settings),
           "-p", "socketpool_tools.pytest_plugin"]  # a no-op where the suite's conftest loads it
    if spec.remote:
        cmd += ["--target-log", log_dir]
    if args.retries:
        cmd += ["--retries", str(args.retries)]
    if args.case_timeout:
        cmd += ["--case-timeout", str(args.case_timeout)]
    if args.peer_host:
        cmd += ["--peer-host", args.peer_host]
    if args.bootrom:
        cmd += ["--bootrom", args.bootrom]
    if args.link:
        cmd += ["--link", args.link]
    if args.keyword:
        cmd += ["-k", args.keyword]
    if os.path.exists(xml_path):
        os.remove(xml_path)  # a report from an earlier run must not pass for this one's
    print("socketpool check: target %s (%s)" % (spec.name, "remote" if spec.remote else "in this process"))
    sys.stdout.flush()
    status = subprocess.call(cmd, cwd=root)
    if status not in (0, 1) or not os.path.exists(xml_path):
        print("socketpool check: the suite did not run on %s (pytest exit status %d)" % (spec.name, status),
              file=sys.stderr)
        return status or 2, None, html_path, xml_path
    scrub_file(xml_path)
    rep = _report.load_report(xml_path, _report.area_titles(suite), target=spec.name)
    print()
    print(rep.text(), end="")
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(rep.html())
    print("HTML report: %s\nJUnit XML: %s" % (os.path.relpath(html_path), os.path.relpath(xml_path)))
    if rep.partial:
        print("(a partial run: the whole run's reports/check-%s.html is left as it was)" % safe_name(spec.name))
    if spec.remote:
        print("target log: %s" % log_path(log_dir, spec.name))
    return (1 if rep.totals()["failed"] else 0), rep, html_path, xml_path


def main(args):
    problem = check_arguments(args)
    if problem:
        return fail(problem)
    names = [n.strip() for n in (args.target or best_local_target()).split(",") if n.strip()]
    if not names:
        return fail("--target is empty")
    try:
        specs = [parse_target(n) for n in names]
    except ValueError as e:
        return fail(e)
    try:
        register_secrets(args.settings)  # in this process too: it prints and writes the reports
    except SettingsError as e:
        return fail("%s: %s" % (args.settings, e))
    root, suite = find_suite(args.suite)
    if suite is None:
        if args.suite:
            return fail("--suite %s: no such directory" % args.suite)
        return fail("the conformance suite is not installed (tests/conformance, or "
                    "socketpool_tools/conformance in the wheel); set SOCKETPOOL_REPO to a checkout")
    for spec in specs:  # every target opens, or nothing runs
        try:
            probe_target(spec, args.bootrom)
        except TargetError as e:
            return fail(redact.redact(str(e)))
    several = len(specs) > 1
    worst, reports = 0, []
    for spec in specs:
        status, rep, html_path, _xml = run_one(args, spec, root, suite, several)
        worst = max(worst, status)
        if rep is not None:
            reports.append((rep, os.path.basename(html_path)))
    if several and reports:
        stem = "check-matrix" + ("-k-" + safe_name(args.keyword)[:40] if args.keyword else "")
        matrix_path = os.path.abspath(args.matrix or os.path.join("reports", stem + ".html"))
        os.makedirs(os.path.dirname(matrix_path), exist_ok=True)
        with open(matrix_path, "w", encoding="utf-8") as f:
            f.write(_report.Matrix([r for r, _ in reports], links=[h for _, h in reports]).html())
        print("matrix of %d targets: %s" % (len(reports), os.path.relpath(matrix_path)))
    return worst
