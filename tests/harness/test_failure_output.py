"""What a failing case on a remote target prints: the target's traceback beside the local one,
and the tail of the target log."""


def test_failing_remote_case_shows_target_traceback_and_log_tail(run_pytest, tmp_path, micropython_binary):
    logs = tmp_path / "logs"
    r = run_pytest({"test_remote_failure.py": """
        def test_bind_to_a_bad_address(pool):
            s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", 70000))  # ValueError on the target
            finally:
                s.close()
    """}, "--target", "micropython", "--target-log", str(logs))
    assert r.returncode == 1, r.stdout
    assert "ValueError: port must be 0-65535" in r.stdout
    assert "on the target:" in r.stdout and 'socketpool/__init__.py", line' in r.stdout
    assert "remote.py" not in r.stdout  # the proxy's own frames are hidden
    assert "target log (last" in r.stdout
    assert "-> _sp_run(lambda: _SP.T[" in r.stdout  # the calls sent, as the log recorded them
    assert (logs / "target-micropython.log").exists()


def test_hung_remote_call_fails_the_case_with_targettimeout_and_the_next_case_runs(run_pytest, micropython_binary):
    r = run_pytest({"test_hang.py": """
        import pytest
        @pytest.mark.timeout(5)
        def test_blocking_accept_with_no_client_hangs(pool):
            s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", 0))
                s.listen(1)
                s.accept()  # blocking, nobody connects: the call is cut before the case's 5 s
            finally:
                s.close()
        def test_next_case_runs(pool):
            s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
            s.close()
    """}, "--target", "micropython")
    assert "1 failed, 1 passed" in r.stdout, r.stdout
    assert "TargetTimeout: the target did not answer within 3s (it was interrupted)" in r.stdout
    assert "Timeout (>5.0s) from pytest-timeout" not in r.stdout


def test_target_that_lost_its_state_is_set_up_again_before_the_next_case(run_pytest, micropython_binary):
    # clearing the interpreter's globals is what a board's reset does to the harness's state
    r = run_pytest({"test_reset.py": """
        def test_a_case_after_which_the_target_resets(target, pool):
            s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
            s.close()
            target.session.exec_statements("globals().clear()")
        def test_next_case_gets_a_working_pool(target, pool):
            s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
            assert s.type == pool.SOCK_DGRAM
            s.close()
            assert target.slots_in_use() == 0
    """}, "--target", "micropython")
    assert "2 passed" in r.stdout, r.stdout
