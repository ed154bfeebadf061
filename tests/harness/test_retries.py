"""--retries N reruns a failed case on remote targets only (a flaky serial or Wi-Fi link); an
in-process failure is a real one and is reported at once."""

FLAKY = {"test_flaky.py": """
    import pathlib
    def test_fails_on_the_first_attempt_only(tmp_path_factory):
        mark = pathlib.Path(__file__).with_name("attempts")
        n = int(mark.read_text()) if mark.exists() else 0
        mark.write_text(str(n + 1))
        assert n >= 1, "first attempt fails"
"""}

ALWAYS = {"test_always.py": """
    import pathlib
    def test_always_fails():
        mark = pathlib.Path(__file__).with_name("attempts")
        n = int(mark.read_text()) if mark.exists() else 0
        mark.write_text(str(n + 1))
        assert False
"""}


def attempts(tmp_path):
    return int((tmp_path / "attempts").read_text())


def test_failed_case_on_remote_target_is_rerun_and_passes(run_pytest, tmp_path):
    # the case uses no target fixture, so no MicroPython is started; the retry policy is the
    # target's (remote), which is what is checked here
    r = run_pytest(FLAKY, "--target", "micropython", "--retries", "2")
    assert r.returncode == 0, r.stdout
    assert "1 passed" in r.stdout and "1 rerun" in r.stdout
    assert attempts(tmp_path) == 2
    assert 'name="attempts" value="2"' in r.xml


def test_retries_stop_after_n_reruns_and_the_case_fails(run_pytest, tmp_path):
    r = run_pytest(ALWAYS, "--target", "socket://127.0.0.1:9", "--retries", "2")
    assert r.returncode == 1
    assert "1 failed" in r.stdout
    assert attempts(tmp_path) == 3


def test_failed_case_on_local_target_is_not_rerun(run_pytest, tmp_path):
    r = run_pytest(FLAKY, "--target", "host", "--retries", "2")
    assert r.returncode == 1
    assert "1 failed" in r.stdout and "rerun" not in r.stdout
    assert attempts(tmp_path) == 1


def test_without_retries_a_remote_failure_is_final(run_pytest, tmp_path):
    r = run_pytest(FLAKY, "--target", "micropython")
    assert r.returncode == 1
    assert attempts(tmp_path) == 1


def test_slow_target_start_does_not_count_against_the_first_cases_timeout(run_pytest):
    # a stand-in target that takes longer to start than the case may run (a board being
    # deployed to, an emulator booting)
    r = run_pytest({
        "conftest.py": """
            import time
            import socketpool_tools.pytest_plugin as plugin
            real = plugin.make_target
            def slow_make_target(spec, options):
                time.sleep(2.5)
                return real(spec, options)
            plugin.make_target = slow_make_target
        """,
        "test_slow.py": """
            import pytest
            @pytest.mark.timeout(2)
            def test_first_case(target):
                assert target.name == "host"
        """}, "--target", "host")
    assert r.returncode == 0, r.stdout
    assert "1 passed" in r.stdout
