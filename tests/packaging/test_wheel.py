"""The built distribution, not the checkout: ``python -m build`` makes the sdist and the wheel, a
fresh venv installs the wheel by its name with the ``check`` and ``board`` extras (pip: the local
wheel cache or PyPI), and from a folder outside the checkout the README example runs (under
``socketpool run`` and as plain ``python code.py``), ``socketpool check --target host`` passes,
and ``socketpool deploy --dry-run`` builds the board files out of the wheel alone."""

import ast
import glob
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "clients"))
import client_support  # noqa: E402

# builds and installs take minutes on a busy 2-core machine (build 40 s, venv + pip 65 s here)
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

NAME = "circuitpython-socketpool"
WIFI = {"CIRCUITPY_WIFI_SSID": "test network", "CIRCUITPY_WIFI_PASSWORD": "test password"}


def _version():
    with open(os.path.join(ROOT, "socketpool", "__init__.py"), encoding="utf-8") as f:
        for node in ast.parse(f.read()).body:
            if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["__version__"]:
                return node.value.value
    raise AssertionError("no socketpool.__version__")


def _run(argv, timeout, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, "%s\nexit %s\n%s\n%s" % (argv, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return r


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), ROOT], timeout=600)
    wheels = glob.glob(str(out / "*.whl"))
    sdists = glob.glob(str(out / "*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(out)
    return wheels[0], sdists[0]


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory):
    """A fresh venv (no system site-packages) with the built wheel and its extras installed."""
    where = tmp_path_factory.mktemp("venv")
    env_dir = str(where / "v")
    _run([sys.executable, "-m", "venv", env_dir], timeout=120)
    py = os.path.join(env_dir, "bin", "python")
    _run([py, "-m", "pip", "install", "-q", dist[0] + "[check,board]"], timeout=600,
         env=_clean_env())
    return env_dir


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SOCKETPOOL_REPO", "PYTHONHOME")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def test_wheel_and_sdist_carry_name_version_license_and_data_files(dist):
    wheel, sdist = dist
    version = _version()
    assert os.path.basename(wheel) == "circuitpython_socketpool-%s-py3-none-any.whl" % version
    names = set(zipfile.ZipFile(wheel).namelist())
    info = "circuitpython_socketpool-%s.dist-info/" % version
    assert info + "licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(info + "METADATA").decode()
    assert "Name: %s\n" % NAME in metadata and "Version: %s\n" % version in metadata
    assert "License-Expression: MIT" in metadata
    for required in ("socketpool/__init__.py", "wifi/__init__.py", "socketpool_host/tls.py",
                     "socketpool_tools/cli.py", "socketpool_tools/rp2040js_run.cjs",
                     "socketpool_tools/conformance/conftest.py", "socketpool_tools/conformance/test_tcp.py",
                     "socketpool_tools/compat/ssl.py", "socketpool_tools/compat/circuitpython_typing/socket.py"):
        assert required in names, required
    # nothing that would shadow the standard library lands in site-packages
    top = {n.split("/")[0] for n in names if not n.startswith(info)}
    assert top == {"socketpool", "wifi", "socketpool_host", "socketpool_tools"}, top
    with tarfile.open(sdist) as t:
        snames = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "package.json", "pyproject.toml"} <= snames


def test_installed_wheel_is_the_one_imported(venv, tmp_path):
    r = _run([os.path.join(venv, "bin", "python"), "-c",
              "import importlib.metadata as m, socketpool, wifi, socketpool_tools;"
              "print(m.version('%s'), socketpool.__version__, socketpool.__file__, socketpool_tools.__file__)" % NAME],
             timeout=60, cwd=str(tmp_path), env=_clean_env())
    dist_version, version, pool_file, tools_file = r.stdout.split()
    assert dist_version == version == _version()
    assert pool_file.startswith(venv) and tools_file.startswith(venv)  # not the checkout


def test_readme_example_runs_from_the_wheel(venv, tmp_path):
    server = client_support._http()
    try:
        code_dir = tmp_path / "example"
        code_dir.mkdir()
        with open(os.path.join(ROOT, "examples", "socketpool_simpletest", "code.py")) as f:
            (code_dir / "code.py").write_text(f.read())
        settings = dict(WIFI, TCP_HOST="127.0.0.1", TCP_PORT=server.port)
        env = _clean_env(SOCKETPOOL_ENGINE="host", **settings)
        for argv in ([os.path.join(venv, "bin", "socketpool"), "run", str(code_dir)],
                     [os.path.join(venv, "bin", "python"), str(code_dir / "code.py")]):
            r = _run(argv, timeout=60, cwd=str(tmp_path), env=env)
            assert " 200 OK" in r.stdout and "hello from the test server" in r.stdout, (argv, r.stdout)
    finally:
        server.stop()


def test_check_on_host_runs_from_the_wheel(venv, tmp_path):
    r = _run([os.path.join(venv, "bin", "socketpool"), "check", "--target", "host"], timeout=900,
             cwd=str(tmp_path), env=_clean_env())
    assert "socketpool check: target host" in r.stdout
    assert os.path.isfile(tmp_path / "reports" / "check-host.html")
    xml = (tmp_path / "reports" / "check-host.xml").read_text()
    assert 'classname="conformance.test_tcp"' in xml
    assert 'failures="0"' in xml and 'errors="0"' in xml
    # the suite it ran is the copy installed in the venv, not this checkout's
    found = _run([os.path.join(venv, "bin", "python"), "-c",
                  "from socketpool_tools.cmd_check import find_suite; print(*find_suite())"],
                 timeout=60, cwd=str(tmp_path), env=_clean_env())
    rootdir, suite = found.stdout.split()
    assert suite.startswith(venv) and suite.endswith(os.path.join("socketpool_tools", "conformance"))


def test_deploy_builds_the_board_files_from_the_wheel(venv, tmp_path):
    r = _run([os.path.join(venv, "bin", "socketpool"), "deploy", "--dry-run", "--out", str(tmp_path / "mpy")],
             timeout=300, cwd=str(tmp_path), env=_clean_env())
    for device_file in ("/lib/socketpool/__init__.mpy", "/lib/wifi/__init__.mpy", "/ssl.mpy",
                        "/lib/traceback.mpy", "/lib/circuitpython_typing/socket.mpy"):
        assert device_file in r.stdout, r.stdout


def test_rp2040js_launcher_runs_from_the_wheel(venv, tmp_path):
    import shutil

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the emulated Pico W target needs it)")
    found = _run([os.path.join(venv, "bin", "python"), "-c",
                  "from socketpool_tools.rp2040js import LAUNCHER; print(LAUNCHER)"],
                 timeout=60, cwd=str(tmp_path), env=_clean_env())
    launcher = found.stdout.strip()
    assert launcher.startswith(venv) and os.path.isfile(launcher)
    # rp2040js from the checkout's node_modules, as $SOCKETPOOL_NODE_MODULES names it for a user
    r = subprocess.run([node, launcher], capture_output=True, text=True, timeout=60, cwd=str(tmp_path),
                       env=_clean_env(SOCKETPOOL_NODE_MODULES=ROOT))
    assert r.returncode != 0 and "usage: node rp2040js_run.cjs" in r.stderr, r.stderr


def test_version_and_the_other_socketpool_is_named(venv, tmp_path):
    tool = os.path.join(venv, "bin", "socketpool")
    r = _run([tool, "--version"], timeout=60, cwd=str(tmp_path), env=_clean_env())
    assert r.stdout.strip() == "%s %s" % (NAME, _version())
    # a stand-in for PyPI's other "socketpool" (same import name, a connection pool) found first
    other = tmp_path / "other" / "socketpool"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("class ConnectionPool:\n    pass\n")
    r = subprocess.run([tool, "check", "--target", "host"], capture_output=True, text=True, timeout=60,
                       cwd=str(tmp_path), env=_clean_env(PYTHONPATH=str(tmp_path / "other")))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "is not CircuitPython's socketpool" in r.stderr and "pip install %s" % NAME in r.stderr
