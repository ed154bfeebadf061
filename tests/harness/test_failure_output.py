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
