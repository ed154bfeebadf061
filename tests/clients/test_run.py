"""``socketpool run``: settings.toml, the traceback, and what code.py sees."""

import os
import textwrap

import pytest

from client_support import run_code_py
from socketpool_tools import cmd_run
from socketpool_tools.settings import SettingsError, read_settings


def write(tmp_path, code, settings=None):
    (tmp_path / "code.py").write_text(textwrap.dedent(code))
    if settings is not None:
        (tmp_path / "settings.toml").write_text(textwrap.dedent(settings))
    return str(tmp_path)


def test_settings_toml_subset_is_read_like_circuitpython(tmp_path):
    p = tmp_path / "settings.toml"
    p.write_text(
        textwrap.dedent(
            r'''
            # a comment
            CIRCUITPY_WIFI_SSID = "my net"   # trailing comment
            ESCAPES = "tab\there \"quoted\" \u00e9"
            PORT = 1883
            NEGATIVE = -5
            HEX = 0x1F
            OCTAL = 011
            [section]
            IGNORED = "after a table header"
            '''
        )
    )
    assert read_settings(str(p)) == {
        "CIRCUITPY_WIFI_SSID": "my net",
        "ESCAPES": 'tab\there "quoted" \u00e9',
        "PORT": 1883,
        "NEGATIVE": -5,
        "HEX": 31,
        "OCTAL": 9,  # strtol base 0, as CircuitPython
    }


@pytest.mark.parametrize("line", ["X = 1.5", "X = true", "X = 'single'", 'X = """triple"""', "no equals"])
def test_settings_outside_the_subset_are_reported(tmp_path, line):
    p = tmp_path / "settings.toml"
    p.write_text(line + "\n")
    with pytest.raises(SettingsError):
        read_settings(str(p))


def test_getenv_reads_settings_and_the_environment_overrides(tmp_path):
    d = write(
        tmp_path,
        """
        import os
        print(repr(os.getenv("NAME")), repr(os.getenv("PORT")), repr(os.getenv("OVERRIDE")))
        print(repr(os.getenv("ABSENT")), repr(os.getenv("ABSENT", "dflt")))
        """,
        'NAME = "board"\nPORT = 80\nOVERRIDE = "from file"\n',
    )
    result = run_code_py(d, OVERRIDE="1234")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'board' 80 1234\nNone 'dflt'\n" in result.stdout


def test_raising_code_prints_a_circuitpython_traceback(tmp_path):
    d = write(
        tmp_path,
        """
        print("before")

        def fail():
            raise ValueError("bad value")

        fail()
        """,
    )
    result = run_code_py(d)
    assert result.returncode == 1
    assert result.stdout == (
        "code.py output:\n"
        "before\n"
        "Traceback (most recent call last):\n"
        '  File "code.py", line 7, in <module>\n'
        '  File "code.py", line 5, in fail\n'
        "ValueError: bad value\n"
        "\n"
        "Code done running.\n"
    )


def test_oserror_prints_as_on_a_board(tmp_path):
    d = write(
        tmp_path,
        """
        import socketpool, wifi
        pool = socketpool.SocketPool(wifi.radio)
        s = pool.socket()
        s.settimeout(1)
        s.connect(("127.0.0.1", 1))
        """,
    )
    result = run_code_py(d)
    assert result.returncode == 1
    assert "OSError: [Errno 111] ECONNREFUSED\n" in result.stdout


def test_missing_setting_is_named_when_code_fails(tmp_path):
    d = write(
        tmp_path,
        """
        import os, wifi
        wifi.radio.connect(os.getenv("CIRCUITPY_WIFI_SSID"), os.getenv("CIRCUITPY_WIFI_PASSWORD"))
        """,
        'OTHER = "x"\n',
    )
    result = run_code_py(d)
    assert result.returncode == 1
    assert "Note: os.getenv() found no CIRCUITPY_WIFI_SSID, CIRCUITPY_WIFI_PASSWORD in" in result.stdout
    assert "settings.toml" in result.stdout


def test_bad_settings_file_gives_a_clear_message(tmp_path):
    d = write(tmp_path, "print('never')\n", "PORT = 1.5\n")
    result = run_code_py(d)
    assert result.returncode == 1
    assert "settings.toml: line 1: only quoted strings and integers are supported" in result.stdout
    assert "never" not in result.stdout


def test_ssl_inside_run_is_circuitpythons_and_lib_folder_is_importable(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helper.py").write_text("VALUE = 7\n")
    d = write(
        tmp_path,
        """
        import ssl, socketpool, wifi, helper
        ctx = ssl.create_default_context()
        print(type(ctx).__module__, type(wifi.radio).__name__, helper.VALUE)
        print(socketpool.SocketPool(wifi.radio) is socketpool.SocketPool(wifi.radio))
        """,
    )
    result = run_code_py(d)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "socketpool_host.tls Radio 7\nTrue\n" in result.stdout


def test_run_restores_ssl_and_getenv_afterwards(tmp_path):
    import os
    import ssl
    import sys

    d = write(tmp_path, "import ssl\nimport os\nRESULT = (ssl.__name__, os.getenv('K'))\n", 'K = "v"\n')
    status = cmd_run.run_code(cmd_run.find_code(d), out=open(os.devnull, "w"))
    assert status == 0
    assert sys.modules["ssl"] is ssl
    assert os.getenv.__module__ == "os"


def test_slots_option_sets_the_host_engine_slot_count(tmp_path):
    import subprocess
    import sys

    from client_support import run_env

    d = write(tmp_path, "import socketpool, wifi\nprint('slots', socketpool.SocketPool(wifi.radio)._max)\n")
    out = subprocess.run(
        [sys.executable, "-m", "socketpool_tools", "run", "--slots", "20", d],
        env=run_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "slots 20\n" in out.stdout, out.stdout + out.stderr


def test_ctrl_c_in_code_prints_keyboardinterrupt_and_exits_130(tmp_path):
    import signal
    import subprocess
    import sys

    from client_support import run_env

    d = write(tmp_path, "import time\nprint('waiting')\nwhile True:\n    time.sleep(0.05)\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "socketpool_tools", "run", d],
        env=run_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout.readline() == "code.py output:\n"
        assert proc.stdout.readline() == "waiting\n"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 130
    assert out.startswith('Traceback (most recent call last):\n  File "code.py", line ')
    assert out.endswith(", in <module>\nKeyboardInterrupt\n\nCode done running.\n")


def test_syntax_error_in_code_is_shown_with_its_line(tmp_path):
    d = write(tmp_path, "print('a')\nif True\n    pass\n")
    result = run_code_py(d)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == ["code.py output:", "Traceback (most recent call last):", '  File "code.py", line 2']
    assert lines[3].startswith("SyntaxError: ")  # the wording is the interpreter's
    assert lines[4:] == ["", "Code done running."]


# --- the code folder is the board's drive -----------------------------------------------------

DRIVE_CODE = r'''
import os
print("cwd", os.getcwd())
print("file", __file__)
print("settings", open("/settings.toml").read().split("\n")[0])
os.mkdir("/static")
with open("/static/index.html", "w") as f:
    f.write("<h1>hi</h1>")
print("static", os.listdir("/static"), os.path.exists("/static/index.html"))
os.mkdir("/sd")
os.chdir("/sd")
print("cwd", os.getcwd())
with open("log.txt", "w") as f:  # relative to the board's current directory
    f.write("logged")
with open("../../../../outside.txt", "w") as f:  # ".." never climbs above the drive's root
    f.write("clamped")
with open("/../outside-abs.txt", "w") as f:
    f.write("clamped")
os.rename("/sd/log.txt", "/sd/log-1.txt")
print("sd", sorted(os.listdir("/sd")))
print("root", sorted(os.listdir("/")))
try:
    open("/etc/passwd")
except OSError as e:
    print("no /etc/passwd on the drive", type(e).__name__)
import wifi, socketpool  # socketpool's own modules still see the computer
print("ip", wifi.radio.ipv4_address is not None)
'''


def test_paths_from_slash_resolve_inside_the_code_folder_and_nothing_outside_is_written(tmp_path):
    import subprocess
    import sys

    from client_support import run_env

    drive = tmp_path / "CIRCUITPY"
    drive.mkdir()
    (drive / "code.py").write_text(DRIVE_CODE)
    (drive / "settings.toml").write_text('FIRST = "line"\n')
    before = set(os.listdir(str(tmp_path)))
    out = subprocess.run([sys.executable, "-m", "socketpool_tools", "run", str(drive)], env=run_env(),
                         cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "cwd /" in lines and "cwd /sd" in lines
    assert "file code.py" in lines
    assert 'settings FIRST = "line"' in lines
    assert "static ['index.html'] True" in lines
    assert "sd ['log-1.txt']" in lines
    assert "root ['code.py', 'outside-abs.txt', 'outside.txt', 'sd', 'settings.toml', 'static']" in lines
    assert "no /etc/passwd on the drive FileNotFoundError" in lines
    assert "ip True" in lines
    assert (drive / "static" / "index.html").read_text() == "<h1>hi</h1>"
    assert (drive / "sd" / "log-1.txt").read_text() == "logged"
    assert (drive / "outside.txt").read_text() == "clamped"
    assert set(os.listdir(str(tmp_path))) == before  # nothing written beside the drive
    assert not os.path.exists("/static/index.html")


def test_drive_view_is_taken_away_after_the_run(tmp_path):
    import builtins

    here = os.getcwd()
    real_open, real_stat = builtins.open, os.stat
    d = write(tmp_path, "import os\nos.mkdir('/made')\nprint(open('/code.py').read()[:6])\n")
    status = cmd_run.run_code(cmd_run.find_code(d), out=open(os.devnull, "w"))
    assert status == 0
    assert (tmp_path / "made").is_dir()
    assert builtins.open is real_open and os.stat is real_stat and os.getcwd() == here
