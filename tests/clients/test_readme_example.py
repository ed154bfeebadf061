"""The README's example (examples/socketpool_simpletest) runs unchanged under ``socketpool run``."""

import os
import urllib.parse

from client_support import ROOT, run_code_py

WIFI = {"CIRCUITPY_WIFI_SSID": "test network", "CIRCUITPY_WIFI_PASSWORD": "test password"}


def test_readme_example_fetches_a_page_over_a_pool_socket(http_server):
    url = urllib.parse.urlsplit(http_server.url)
    result = run_code_py(
        os.path.join(ROOT, "examples", "socketpool_simpletest"),
        TCP_HOST=url.hostname,
        TCP_PORT=url.port,
        **WIFI,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 200 OK" in result.stdout
    assert "hello from the test server" in result.stdout


def test_readme_shows_the_example_file_verbatim():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(ROOT, "examples", "socketpool_simpletest", "code.py")) as f:
        code = f.read()
    assert code.strip() in readme
