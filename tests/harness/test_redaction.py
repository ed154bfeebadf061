"""Credentials are never printed: redaction of logs, reports and failing cases."""

import io

from socketpool_tools import redact
from socketpool_tools.settings import wifi_credentials


def test_registered_secret_is_masked_in_text_and_bytes():
    redact.add_secret("hunter2-pass")
    assert redact.redact("connect('net', 'hunter2-pass')") == "connect('net', '***')"
    assert redact.redact(b"pw=hunter2-pass;") == b"pw=***;"


def test_secret_is_masked_in_its_repr_form_inside_generated_source():
    redact.add_secret("it's\\secret")
    source = "wifi.radio.connect(%r, %r)" % ("lab", "it's\\secret")
    assert "secret" not in redact.redact(source)


def test_longer_secret_containing_a_shorter_one_is_masked_whole():
    redact.add_secret("abc")
    redact.add_secret("abcdef")
    assert redact.redact("x abcdef y abc") == "x *** y ***"


def test_very_short_values_are_not_treated_as_secrets():
    redact.add_secret("a")
    assert redact.redact("a banana") == "a banana"


def test_environment_credentials_become_secrets():
    redact.add_secrets_from_env({"CIRCUITPY_WIFI_SSID": "LabNet-5G", "CIRCUITPY_WIFI_PASSWORD": "s3cr3t!"})
    assert redact.redact("joined LabNet-5G with s3cr3t!") == "joined *** with ***"


def test_credentials_come_from_settings_toml_when_the_environment_has_none(tmp_path):
    p = tmp_path / "settings.toml"
    p.write_text('# wifi\nCIRCUITPY_WIFI_SSID = "Home Net"\nCIRCUITPY_WIFI_PASSWORD = "p\\u00e4ss word"\n'
                 'CIRCUITPY_WEB_API_PORT = 80 # comment\n')
    assert wifi_credentials(str(p), {}) == ("Home Net", "p\u00e4ss word")
    assert redact.redact("Home Net / p\u00e4ss word") == "*** / ***"


def test_missing_settings_toml_and_environment_give_no_credentials(tmp_path):
    assert wifi_credentials(str(tmp_path / "none.toml"), {}) == (None, None)


def test_environment_overrides_settings_toml_and_both_are_redacted(tmp_path):
    p = tmp_path / "settings.toml"
    p.write_text('CIRCUITPY_WIFI_SSID = "FileNet"\nCIRCUITPY_WIFI_PASSWORD = "file-password"\n')
    ssid, password = wifi_credentials(str(p), {"CIRCUITPY_WIFI_PASSWORD": "env-password"})
    assert (ssid, password) == ("FileNet", "env-password")
    assert redact.redact("FileNet env-password") == "*** ***"


def test_raw_repl_log_masks_secrets(micropython_binary):
    from socketpool_tools.transport import PtyProcess, RawRepl

    redact.add_secret("TopSecretPass")
    log = io.StringIO()
    proc = PtyProcess([micropython_binary])
    try:
        repl = RawRepl(proc.device, log=log, interrupt=proc.interrupt)
        proc.start()
        assert repl.wait_for(b">>> ", 30)
        repl.enter()
        out, err = repl.exec("pw = 'TopSecretPass'\nprint(pw)", timeout=10)
        repl.close()
    finally:
        proc.stop()
    assert out == b"TopSecretPass\n"  # the device got and printed it ...
    assert "TopSecretPass" not in log.getvalue()  # ... the log never shows it
    assert "***" in log.getvalue()


def test_failing_case_report_masks_secrets(run_pytest):
    r = run_pytest({"test_leak.py": """
        import os
        def test_prints_the_password():
            print("password is", os.environ["CIRCUITPY_WIFI_PASSWORD"])
            assert os.environ["CIRCUITPY_WIFI_PASSWORD"] == "other"
    """}, env={"CIRCUITPY_WIFI_PASSWORD": "board-wifi-pw"})
    assert r.returncode == 1 and "1 failed" in r.stdout
    assert "board-wifi-pw" not in r.stdout + r.xml
    assert "***" in r.stdout and "***" in r.xml


SECRET_SUITE = {
    "test_secret_reasons.py": """
        import pytest
        from socketpool_tools.settings import read_settings

        PW = read_settings(%r)["CIRCUITPY_WIFI_PASSWORD"]

        def test_skips_naming_the_password():
            pytest.skip("cannot join LabNet with " + PW)

        @pytest.mark.xfail(reason="the radio refuses " + PW, strict=True)
        def test_xfails_naming_the_password():
            assert PW == "something else"

        def test_fails_naming_the_password():
            assert PW == "wrong", "wrong password " + PW
    """,
}
PASSWORD = "board-wifi-pw-93c1"


def write_settings(tmp_path):
    p = tmp_path / "settings.toml"
    p.write_text('CIRCUITPY_WIFI_SSID = "LabNet"\nCIRCUITPY_WIFI_PASSWORD = "%s"\n' % PASSWORD)
    return p


def test_settings_toml_secrets_are_masked_in_skip_and_xfail_reasons_of_the_junit_xml(run_pytest, tmp_path):
    settings = write_settings(tmp_path)
    suite = {k: v % str(settings) for k, v in SECRET_SUITE.items()}
    r = run_pytest(suite, "--settings", str(settings), "-rsx")
    assert "1 failed, 1 skipped, 1 xfailed" in r.stdout, r.stdout
    assert PASSWORD not in r.stdout + r.xml
    assert "cannot join *** with ***" in r.xml and "the radio refuses ***" in r.xml


def test_check_masks_settings_toml_secrets_in_table_html_and_junit_xml(tmp_path):
    """``socketpool check`` in a folder holding settings.toml, on a suite whose cases skip, xfail
    and fail with the password in their reasons: it appears in none of its outputs."""
    import os
    import subprocess
    import sys
    import textwrap

    settings = write_settings(tmp_path)
    suite = tmp_path / "suite"
    suite.mkdir()
    for name, source in SECRET_SUITE.items():
        (suite / name).write_text(textwrap.dedent(source % str(settings)))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, os.path.join(root, "tools"), env.get("PYTHONPATH", "")])
    for name in ("CIRCUITPY_WIFI_PASSWORD", "CIRCUITPY_WIFI_SSID"):
        env.pop(name, None)  # only settings.toml knows the secret
    proc = subprocess.run([sys.executable, "-m", "socketpool_tools", "check", "--target", "host",
                           "--suite", str(suite)], cwd=str(tmp_path), env=env, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # the failing case
    assert "0 passed, 1 failed, 2 skipped" in out  # an xfail is a skip in the table
    html = (tmp_path / "reports" / "check-host.html").read_text()
    xml = (tmp_path / "reports" / "check-host.xml").read_text()
    for text in (out, html, xml):
        assert PASSWORD not in text
    assert "cannot join *** with ***" in out and "cannot join *** with ***" in html
    assert "the radio refuses ***" in out
    assert "the radio refuses ***" in xml
