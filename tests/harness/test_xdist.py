"""A bench of several boards: with pytest-xdist, ``--target a,b`` gives worker i target i, each
worker driving its own target. Two MicroPython VMs stand in for two boards."""

import pytest

pytest.importorskip("xdist")


def test_each_worker_drives_its_own_target(run_pytest, tmp_path, micropython_binary):
    r = run_pytest({"test_bench.py": """
        import os, pathlib
        def test_report_target(target, pool):
            s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
            s.close()
            worker = os.environ.get("PYTEST_XDIST_WORKER", "none")
            pathlib.Path(__file__).with_name("seen-" + worker).write_text(
                "%s %s" % (target.name, target.engine_name))
        def test_second_case(target):
            assert target.remote
    """}, "-n", "2", "--dist", "each", "--target", "micropython,micropython:" + micropython_binary)
    assert r.returncode == 0, r.stdout
    seen = {p.name: p.read_text() for p in tmp_path.glob("seen-*")}
    assert seen == {"seen-gw0": "micropython micropython",
                    "seen-gw1": "micropython:%s micropython" % micropython_binary}
