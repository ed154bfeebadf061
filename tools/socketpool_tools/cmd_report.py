"""``socketpool report``: the compatibility report of JUnit XML files that ``check`` (or any
pytest run of tests/conformance) wrote; with several, one matrix page (behaviours down, targets
across, differences marked) and, with ``--markdown``, the generated part of
docs/compatibility.md."""

import os
import sys
import xml.etree.ElementTree as ET

from socketpool_tools import report as _report
from socketpool_tools.paths import find_suite
from socketpool_tools.settings import SettingsError, register_secrets

HELP = "turn JUnit XML files of check runs into one compatibility matrix (HTML, Markdown)"


def add_arguments(p):
    p.add_argument("junit", nargs="+", metavar="XML", help="JUnit XML files, one per target (reports/check-<target>.xml)")
    p.add_argument("--html", default=None, metavar="PATH",
                   help="the matrix page (default reports/check-matrix.html)")
    p.add_argument("--markdown", default=None, metavar="PATH",
                   help="also write the matrix as Markdown into PATH, between its generated-part markers "
                   "(e.g. docs/compatibility.md)")
    p.add_argument("--settings", default="settings.toml", help="settings.toml whose secrets are masked")


def main(args):
    missing = [p for p in args.junit if not os.path.isfile(p)]
    if missing:
        print("socketpool report: no such file: %s" % ", ".join(missing), file=sys.stderr)
        return 2
    try:
        register_secrets(args.settings)
    except SettingsError as e:
        print("socketpool report: %s: %s" % (args.settings, e), file=sys.stderr)
        return 2
    _root, suite = find_suite()
    titles = _report.area_titles(suite)
    reports = []
    for path in args.junit:
        try:
            reports.append(_report.load_report(path, titles))
        except ET.ParseError as e:
            print("socketpool report: %s is not JUnit XML (%s)" % (path, e), file=sys.stderr)
            return 2
    names = [r.target for r in reports]
    if len(set(names)) != len(names):
        print("socketpool report: two files are runs of the same target (%s)" % ", ".join(names), file=sys.stderr)
        return 2
    html_path = os.path.abspath(args.html or os.path.join("reports", "check-matrix.html"))
    os.makedirs(os.path.dirname(html_path), exist_ok=True)
    links = []
    for path in args.junit:  # the per-target page check wrote beside its XML, when there is one
        page = os.path.splitext(os.path.abspath(path))[0] + ".html"
        links.append(os.path.relpath(page, os.path.dirname(html_path)) if os.path.isfile(page) else None)
    matrix = _report.Matrix(reports, links)
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(matrix.html())
    print("matrix of %d targets (%s): %s" % (len(reports), ", ".join(names), os.path.relpath(html_path)))
    if args.markdown:
        _report.update_markdown(args.markdown, matrix.markdown())
        print("updated %s" % args.markdown)
    return 0
