"""``socketpool check``: the conformance suite on a target, as a compatibility table and HTML."""

import os
import subprocess
import sys

from socketpool_tools import report as _report
from socketpool_tools.paths import conformance_suite, log_path, project_root, safe_name
from socketpool_tools.target_names import parse_target
from socketpool_tools.targets import best_local_target

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
    p.add_argument("-k", dest="keyword", default=None, help="only cases matching this pytest -k expression")


def find_suite():
    """tests/conformance of this checkout (the tools are installed editable by scripts/setup.sh),
    else of $SOCKETPOOL_REPO or the current directory, else the suite installed with the tools."""
    return conformance_suite([project_root(), os.environ.get("SOCKETPOOL_REPO"), os.getcwd()])


def main(args):
    target = args.target or best_local_target()
    try:
        spec = parse_target(target)
    except ValueError as e:
        print("socketpool check: %s" % e, file=sys.stderr)
        return 2
    root, suite = find_suite()
    if suite is None:
        print("socketpool check: the conformance suite is not installed (tests/conformance, or "
              "socketpool_tools/conformance in the wheel); set SOCKETPOOL_REPO to a checkout",
              file=sys.stderr)
        return 2
    name = safe_name(target)
    html_path = args.html or os.path.join("reports", "check-%s.html" % name)
    xml_path = os.path.abspath(args.junitxml or os.path.join("reports", "check-%s.xml" % name))
    log_dir = os.path.abspath(args.target_log or "reports")
    for p in (html_path, xml_path):
        os.makedirs(os.path.dirname(os.path.abspath(p)), exist_ok=True)
    cmd = [sys.executable, "-m", "pytest", suite, "--target", target, "--junitxml", xml_path,
           "-q", "--tb=short", "-p", "no:cacheprovider", "--rootdir", root,
           # the --target option and fixtures (a checkout's tests/conftest.py loads it too)
           "-p", "socketpool_tools.pytest_plugin",
           "-o", "junit_family=xunit2"]
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
    print("socketpool check: target %s (%s)" % (target, "remote" if spec.remote else "in this process"))
    sys.stdout.flush()
    status = subprocess.call(cmd, cwd=root)
    if status not in (0, 1) or not os.path.exists(xml_path):
        print("socketpool check: the suite did not run (pytest exit status %d)" % status, file=sys.stderr)
        return status or 2
    rep = _report.Report(target, _report.read_junit(xml_path), _report.area_titles(suite))
    print()
    print(rep.text(), end="")
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(rep.html())
    print("HTML report: %s\nJUnit XML: %s" % (html_path, xml_path))
    if spec.remote:
        print("target log: %s" % log_path(log_dir, target))
    return 1 if rep.totals()["failed"] else 0
