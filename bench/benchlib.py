"""Shared pieces of the benchmarks: medians, ratio rows, the JSON result file, the table.

Every bench script prints its own table and, given ``--json FILE``, writes::

    {"bench": name, "engine": engine, "rows": [row, ...], "sweep": [point, ...], "notes": [...]}

row:   {"metric", "unit", "baseline", "value", "ratio", "target", "ok", "baseline_name"}
       (ratio = value / baseline; ``target`` is a string such as ">= 0.9" or "<= 1.3")
point: {"engine", "variant", "bufsize", "MBps"} (throughput against buffer size, for the plot)

``socketpool bench`` (tools/socketpool_tools/cmd_bench.py) runs the scripts and merges the files.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def add_project_to_path():
    for p in (ROOT, os.path.join(ROOT, "tools")):
        if p not in sys.path:
            sys.path.insert(0, p)


def median(values):
    v = sorted(values)
    n = len(v)
    if not n:
        raise ValueError("no values")
    mid = n // 2
    return v[mid] if n % 2 else (v[mid - 1] + v[mid]) / 2


def meets(ratio, target):
    """``target`` is ">= x" or "<= x"."""
    op, x = target.split()
    x = float(x)
    return ratio >= x if op == ">=" else ratio <= x


def row(metric, unit, baseline, value, target, baseline_name="raw CPython socket", ok=None, ratio=None):
    """One result; ``ok`` given means an absolute target (such as "0 B") the caller judged;
    ``ratio`` given (say, a median of per-round ratios) replaces value / baseline."""
    if ratio is None:
        ratio = value / baseline if baseline else float("nan")
    if ok is None and target:
        ok = meets(ratio, target)
    return {
        "metric": metric,
        "unit": unit,
        "baseline": baseline,
        "value": value,
        "ratio": ratio,
        "target": target,
        "ok": ok,
        "baseline_name": baseline_name,
    }


def format_ratio(ratio):
    return "-" if ratio != ratio else "%.3f" % ratio  # nan: no ratio (0 against 0)


def format_table(rows, engine_key=False):
    head = ["metric", "baseline", "socketpool", "ratio", "target", "ok"]
    if engine_key:
        head.insert(0, "engine")
    lines = []
    for r in rows:
        cells = [
            r["metric"],
            "%.4g %s" % (r["baseline"], r["unit"]),
            "%.4g %s" % (r["value"], r["unit"]),
            format_ratio(r["ratio"]),
            r.get("target") or "",
            {True: "yes", False: "NO", None: ""}[r.get("ok")],
        ]
        if engine_key:
            cells.insert(0, r.get("engine", ""))
        lines.append(cells)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    out = ["  ".join(str(h).ljust(w) for h, w in zip(head, widths))]
    out.append("  ".join("-" * w for w in widths))
    for cells in lines:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)))
    return "\n".join(out)


def write_json(path, bench, engine, rows, sweep=(), notes=()):
    if not path:
        return
    with open(path, "w") as f:
        json.dump(
            {"bench": bench, "engine": engine, "rows": rows, "sweep": list(sweep), "notes": list(notes)},
            f,
            indent=1,
        )


def callgrind_instructions(argv, out_file):
    """Instructions callgrind counts while ``argv`` runs (collection starts where the program
    turns it on: ``--collect-atstart=no``)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--callgrind-out-file=" + out_file]
        + [str(a) for a in argv],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError("%s run failed:\n%s" % (" ".join(map(str, argv)), done.stdout[-3000:]))
    found = re.search(r"Collected : (\d+)", done.stdout)
    if not found:
        raise RuntimeError("no callgrind total in:\n" + done.stdout[-3000:])
    return int(found.group(1))


def build_core_driver(out_dir, driver, core_sources, flags):
    """Compiles bench/<driver>.c with a native core's sources (paths under ports/) and the host
    platform against Debian's liblwip-dev; the executable's path."""
    ports = os.path.join(ROOT, "ports")
    exe = os.path.join(out_dir, driver)
    cmd = (["cc", "-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-I" + os.path.join(ports, "common")]
           + list(flags) + ["-I/usr/include/lwip", "-o", exe, os.path.join(ROOT, "bench", driver + ".c")]
           + [os.path.join(ports, p) for p in core_sources]
           + [os.path.join(ports, p) for p in ("common/sp_errno.c", "host/sp_host_platform.c", "host/sp_host_tun.c")]
           + ["-llwip", "-lpthread"])
    subprocess.run(cmd, check=True)
    return exe


def callgrind_modes(build, modes, driver_args):
    """Builds a driver (``build(out_dir)``: its path) and counts the instructions of one run per
    mode (``driver mode *driver_args``): {mode: Ir}; None, said on stderr, without valgrind."""
    if not shutil.which("valgrind"):
        print("valgrind is not installed (Debian package valgrind)", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="bench_callgrind_") as tmp:
        exe = build(tmp)
        return {m: callgrind_instructions([exe, m] + list(driver_args), os.path.join(tmp, "callgrind.%s.out" % m))
                for m in modes}


def print_receive_path(title, kib, engine, baseline, base_name, row):
    """The callgrind benches' table: ``engine`` and ``baseline`` are (label, Ir total) of the two
    receivers, ``base_name`` the baseline's name in the ratio line, ``row`` the result row."""
    width = max(len("receiver"), len(engine[0]), len(baseline[0])) + 3
    print(title)
    print("  %-*s %12s %10s" % (width, "receiver", "Ir total", "Ir/KiB"))
    for label, ir in (engine, baseline):
        print("  %-*s %12d %10.1f" % (width, label, ir, ir / kib))
    print("  ratio engine/%s = %.3f (target %s: %s)" % (
        base_name, row["ratio"], row["target"], "met" if row["ok"] else "NOT met"))
