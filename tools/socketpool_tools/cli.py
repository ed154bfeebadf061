"""The ``socketpool`` command line.

Each subcommand is a module ``socketpool_tools.cmd_<name>`` with ``HELP`` (one line),
``add_arguments(parser)`` and ``main(args) -> int``. A command whose module is missing is not
offered.
"""

import argparse
import importlib
import sys

COMMANDS = ("check", "report", "run", "deploy", "build", "flash", "bench", "bootrom", "emulate")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="socketpool", description="CircuitPython's socketpool on MicroPython boards and CPython"
    )
    parser.add_argument("--version", action="store_true", help="print the distribution's version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name in COMMANDS:
        try:
            mod = importlib.import_module("socketpool_tools.cmd_" + name)
        except ImportError as e:
            if e.name != "socketpool_tools.cmd_" + name:
                raise
            continue
        modules[name] = mod
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
    args = parser.parse_args(argv)
    from socketpool_tools.paths import DISTRIBUTION, foreign_socketpool

    problem = foreign_socketpool()
    if problem:
        print("socketpool: %s; reinstall with `pip uninstall socketpool %s` then `pip install %s`"
              % (problem, DISTRIBUTION, DISTRIBUTION), file=sys.stderr)
        return 2
    if args.version:
        from importlib import metadata

        try:
            print("%s %s" % (DISTRIBUTION, metadata.version(DISTRIBUTION)))
        except metadata.PackageNotFoundError:
            print("%s (not installed: a checkout)" % DISTRIBUTION)
        return 0
    if not args.command:
        parser.print_help()
        return 2
    return modules[args.command].main(args) or 0


if __name__ == "__main__":
    sys.exit(main())
