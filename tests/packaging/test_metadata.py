"""The distribution's metadata agrees with itself: one version (socketpool.__version__), read by
pyproject.toml, repeated by package.json (mip) and the newest CHANGELOG entry; the name is ours."""

import ast
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def _version():
    tree = ast.parse(_read("socketpool", "__init__.py"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["__version__"]:
            return node.value.value
    raise AssertionError("socketpool/__init__.py sets no __version__")


def _pyproject():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    return tomllib.loads(_read("pyproject.toml"))


def test_version_is_pep440_and_read_from_one_place():
    version = _version()
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", version), version
    project = _pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    dynamic = _pyproject()["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "socketpool.__version__"}


def test_package_json_has_the_version():
    assert json.loads(_read("package.json"))["version"] == _version()


def test_changelog_newest_entry_is_the_version():
    headings = re.findall(r"^## (\S+)", _read("CHANGELOG.md"), re.M)
    assert headings and headings[0] == _version(), headings[:2]


def test_distribution_name_is_not_the_taken_one():
    project = _pyproject()["project"]
    # "socketpool" on PyPI is an unrelated project (0.5.3, 2013); the import names stay ours
    assert project["name"] == "circuitpython-socketpool"
    assert project["license-files"] == ["LICENSE"]
    assert "MIT License" in _read("LICENSE")
