"""The shape of tools/socketpool_tools: shared helpers live in their own modules, no command
module (cmd_*.py) imports another, and the package's own imports form no circle."""

import ast
import os

import socketpool_tools

PKG = os.path.dirname(os.path.abspath(socketpool_tools.__file__))


def own_imports(path):
    """The socketpool_tools modules ``path`` imports, anywhere in it (lazy imports count)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "socketpool_tools":
                out.update(a.name for a in node.names)
            elif node.module.startswith("socketpool_tools."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("socketpool_tools."):
                    out.add(a.name.split(".")[1])
    return out


def graph():
    mods = {f[:-3] for f in os.listdir(PKG) if f.endswith(".py")}
    return {m: own_imports(os.path.join(PKG, m + ".py")) & mods for m in mods}


def test_the_graph_sees_the_imports_it_checks():
    g = graph()
    assert "report" in g["cmd_check"] and "redact" in g["report"]  # both import forms are read


def test_no_command_module_imports_another():
    g = graph()
    for mod, deps in g.items():
        if mod.startswith("cmd_"):
            assert not {d for d in deps if d.startswith("cmd_")}, (mod, deps)


def test_no_import_circle():
    g = graph()
    state = {}

    def visit(m, stack):
        state[m] = "open"
        for d in sorted(g[m]):
            assert state.get(d) != "open", "import circle: " + " -> ".join(stack + [m, d])
            if d not in state:
                visit(d, stack + [m])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [])
