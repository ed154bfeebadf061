"""The compatibility report: built from a run's JUnit XML, printed as a table and written as HTML."""

import ast
import os
import re

from socketpool_tools import redact
from socketpool_tools.report import DELIBERATE_FIXES, Report, area_titles, read_junit

SUITE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conformance")

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6">
<testcase classname="tests.conformance.test_tcp" name="test_connect_refused_raises_econnrefused[ipv4]" time="0.1"/>
<testcase classname="tests.conformance.test_tcp" name="test_connect_refused_raises_econnrefused[ipv6]" time="0.1">
  <failure message="AssertionError: expected ECONNREFUSED &lt;got&gt; ECONNRESET">trace</failure></testcase>
<testcase classname="tests.conformance.test_tcp" name="test_recv_into_gathers_everything_queued" time="0.2"/>
<testcase classname="tests.conformance.test_udp" name="test_udp_round_trip[ipv6]" time="0.0">
  <skipped type="pytest.skip" message="target has no IPv6"/></testcase>
<testcase classname="tests.conformance.test_fixes" name="test_fix_failed_lookup_is_silent" time="0.0">
  <error message="board password hunter22 leaked">x</error></testcase>
<testcase classname="tests.conformance.test_fixes" name="test_fix_negative_timeout_raises_valueerror" time="0.0"/>
</testsuite></testsuites>
"""


def make_report(tmp_path):
    p = tmp_path / "run.xml"
    p.write_text(JUNIT)
    return Report("micropython", read_junit(str(p)), {"test_tcp": "Contract section 4: TCP"})


def test_junit_cases_are_read_with_outcome_and_message(tmp_path):
    cases = make_report(tmp_path).cases
    assert [(c.module, c.outcome) for c in cases] == [
        ("test_tcp", "passed"), ("test_tcp", "failed"), ("test_tcp", "passed"),
        ("test_udp", "skipped"), ("test_fixes", "failed"), ("test_fixes", "passed")]
    assert cases[1].message == "AssertionError: expected ECONNREFUSED <got> ECONNRESET"


def test_parametrised_cases_fold_into_one_behaviour_failing_if_any_fails(tmp_path):
    areas = dict(make_report(tmp_path).areas())
    rows = {b: (o, d) for b, o, d in areas["Contract section 4: TCP"]}
    outcome, detail = rows["connect refused raises econnrefused"]
    assert outcome == "failed"
    assert "1 failed, 1 passed" in detail and "ECONNREFUSED" in detail
    assert rows["recv into gathers everything queued"] == ("passed", "")


def test_area_without_title_is_named_after_its_module(tmp_path):
    areas = dict(make_report(tmp_path).areas())
    assert areas["test_udp"] == [("udp round trip", "skipped", "target has no IPv6")]


def test_deliberate_fix_rows_show_circuitpython_behaviour_beside_the_result(tmp_path):
    fixes = {cp: (here, outcome, names) for cp, here, outcome, names in make_report(tmp_path).fixes()}
    here, outcome, names = fixes["both: a refused connect reports ECONNRESET"]
    assert here.startswith("ECONNREFUSED") and outcome == "failed"
    assert names == ["test_connect_refused_raises_econnrefused"]
    assert fixes["raspberrypi: recv_into returns at most one segment"][1] == "passed"
    assert fixes["raspberrypi: one UDP datagram buffered per socket"][1] == "no test"


def test_text_table_has_totals_areas_and_fixes(tmp_path):
    text = make_report(tmp_path).text()
    assert text.startswith("socketpool compatibility on target micropython: 3 passed, 2 failed, 1 skipped")
    assert "  FAIL  connect refused raises econnrefused" in text
    assert "Deliberate fixes (contract section 5)" in text
    assert "-> ECONNREFUSED (a reset while connecting is a refusal)" in text


def test_html_report_escapes_and_colours_results(tmp_path):
    page = make_report(tmp_path).html()
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;got&gt;" in page and "<got>" not in page
    assert "<td class='fail'>failed</td>" in page and "<td class='pass'>passed</td>" in page


def test_reports_mask_registered_secrets(tmp_path):
    redact.add_secret("hunter22")
    rep = make_report(tmp_path)
    assert "hunter22" not in rep.text() + rep.html()


def test_every_deliberate_fix_row_is_pinned_by_a_test_of_the_suite():
    names = set()
    for f in os.listdir(SUITE):
        if f.startswith("test_") and f.endswith(".py"):
            with open(os.path.join(SUITE, f)) as fh:
                tree = ast.parse(fh.read())
            names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}
    unmatched = [cp for cp, _here, pattern in DELIBERATE_FIXES if not any(re.search(pattern, n) for n in names)]
    assert unmatched == []


def test_area_titles_come_from_module_docstrings():
    titles = area_titles(SUITE)
    assert titles["test_fixes"].startswith("Contract section 5")


def test_areas_are_listed_in_contract_section_order(tmp_path):
    p = tmp_path / "run.xml"
    p.write_text(JUNIT)
    titles = {"test_tcp": "Contract section 4: TCP", "test_udp": "Contract section 10: UDP",
              "test_fixes": "Contract section 5: fixes"}
    areas = [title for title, _rows in Report("host", read_junit(str(p)), titles).areas()]
    assert areas == ["Contract section 4: TCP", "Contract section 5: fixes", "Contract section 10: UDP"]


def test_area_title_is_the_docstrings_whole_first_paragraph(tmp_path):
    (tmp_path / "test_wrapped.py").write_text('"""Contract section 4: settimeout, and the\n"timeout expires" column.\n\nMore."""\n')
    assert area_titles(str(tmp_path)) == {"test_wrapped": 'Contract section 4: settimeout, and the "timeout expires" column'}


LONG_REASON = ("MicroPython engine (stock firmware): MicroPython runs no __del__ of Python classes and the "
               "unix port's sockets have no finaliser, so a forgotten socket keeps its slot until closed "
               "(docs/engine-micropython.md explains why, and what the native engines do instead; use with "
               "or close() on stock firmware; this sentence is here to be longer than the limit of three "
               "hundred characters)")


def junit_with(tmp_path, cases, properties=""):
    p = tmp_path / "run.xml"
    p.write_text('<?xml version="1.0"?><testsuites><testsuite name="pytest">%s%s</testsuite></testsuites>'
                 % (properties, cases))
    return str(p)


def test_skip_reason_is_never_cut_inside_a_word(tmp_path):
    path = junit_with(tmp_path, '<testcase classname="t.test_slots" name="test_forgotten_socket">'
                      '<skipped message="%s"/></testcase>' % LONG_REASON.replace('"', "&quot;"))
    rep = Report("micropython", read_junit(path))
    text = rep.text(width=100)
    assert all(len(line) <= 100 for line in text.splitlines() if "forgotten" in line or line.startswith(" " * 10))
    words = set(LONG_REASON.replace("(", " ").replace(")", " ").split())
    shown = " ".join(text.split("forgotten socket  (", 1)[1].split(" ...")[0].split())
    shown_words = shown.replace("(", " ").replace(")", " ").split()
    assert len(shown_words) > 30 and all(w in words for w in shown_words), shown  # whole words only
    assert text.count(" ...") == 1  # the 300-character cut is marked
    assert LONG_REASON.replace("'", "&#x27;") in rep.html()  # the HTML shows all of it


def test_shorten_cuts_at_a_space_and_marks_the_cut():
    from socketpool_tools.report import shorten

    assert shorten("short", 10) == "short"
    assert shorten("alpha beta gamma delta", 15) == "alpha ..."
    assert len(shorten("word " * 100, 50)) <= 50


def test_partial_run_marks_deselected_fix_rows_not_run(tmp_path):
    path = junit_with(
        tmp_path,
        '<testcase classname="t.test_tcp" name="test_connect_refused_raises_econnrefused[ipv4]"/>',
        '<properties><property name="socketpool_target" value="host"/>'
        '<property name="socketpool_keyword" value="refused"/>'
        '<property name="socketpool_deselected" value="test_tcp::test_recv_into_gathers_everything_queued '
        'test_tcp::test_unrelated"/></properties>')
    from socketpool_tools.report import load_report

    rep = load_report(path)
    assert rep.target == "host" and rep.partial and rep.keyword == "refused"
    fixes = {cp: (outcome, names) for cp, _here, outcome, names in rep.fixes()}
    assert fixes["both: a refused connect reports ECONNRESET"][0] == "passed"
    assert fixes["raspberrypi: recv_into returns at most one segment"] == (
        "not run", ["test_recv_into_gathers_everything_queued"])
    assert fixes["raspberrypi: one UDP datagram buffered per socket"][0] == "no test"  # not deselected: absent
    text = rep.text()
    assert "partial run (-k refused): 2 test functions deselected" in text
    assert "gathers what is queued, up to bufsize  [not run: deselected]" in text
    assert "at least 4  [no test found by name]" in text
    assert "partial run (-k refused)" in rep.html()


def two_reports(tmp_path):
    a = tmp_path / "a.xml"
    b = tmp_path / "b.xml"
    a.write_text(JUNIT)
    b.write_text(JUNIT.replace('<failure message="AssertionError: expected ECONNREFUSED &lt;got&gt; ECONNRESET">trace</failure>', "")
                 .replace('<error message="board password hunter22 leaked">x</error>', ""))
    titles = {"test_tcp": "Contract section 4: TCP", "test_udp": "Contract section 10: UDP"}
    from socketpool_tools.report import load_report

    return [load_report(str(a), titles, target="micropython"), load_report(str(b), titles, target="host")]


def test_matrix_puts_behaviours_down_targets_across_and_marks_differences(tmp_path):
    from socketpool_tools.report import Matrix

    m = Matrix(two_reports(tmp_path), links=["check-micropython.html", None])
    rows = {b: cells for _t, b, cells in m.rows()}
    assert [o for o, _ in rows["connect refused raises econnrefused"]] == ["failed", "passed"]
    assert Matrix.differs(rows["connect refused raises econnrefused"])
    assert not Matrix.differs(rows["udp round trip"])  # skipped on both
    page = m.html()
    assert "<a href='check-micropython.html'>micropython</a>" in page
    assert page.count("<tr class='diff'>") == 4  # refused, lookup silent, and their two fix rows
    assert "<tr class='diff'><td>connect refused raises econnrefused</td>" in page


def test_matrix_markdown_lists_only_the_differing_behaviours(tmp_path):
    from socketpool_tools.report import Matrix

    md = Matrix(two_reports(tmp_path)).markdown()
    assert "| `micropython` | **3 passed, 2 failed, 1 skipped** |" in md
    assert "Behaviours where the targets differ: 2 of 5" in md
    assert "| Contract section 4 | connect refused raises econnrefused | FAIL (1 failed, 1 passed;" in md
    assert "recv into gathers everything queued" not in md  # same everywhere: in the HTML only
    assert "| both: a refused connect reports ECONNRESET | ECONNREFUSED (a reset while connecting is a refusal) | failed | passed |" in md


def test_markdown_page_keeps_its_hand_written_parts(tmp_path):
    from socketpool_tools.report import GENERATED_BEGIN, GENERATED_END, update_markdown

    page = tmp_path / "compatibility.md"
    page.write_text("# Title\n\nhand-written intro\n")
    update_markdown(str(page), "first\n")
    assert page.read_text() == "# Title\n\nhand-written intro\n\n%s\nfirst\n%s\n" % (GENERATED_BEGIN, GENERATED_END)
    page.write_text(page.read_text() + "\nhand-written notes after\n")
    update_markdown(str(page), "second\n")
    text = page.read_text()
    assert "first" not in text and "second" in text
    assert text.startswith("# Title\n\nhand-written intro\n") and text.endswith("hand-written notes after\n")
