"""``socketpool bench``: every benchmark this machine can run, as one table of same-run ratios.

Runs, each in its own process (so each picks its engine at import):

* ``bench/bench_host.py`` on the host engine, and on the host-lwIP engines whose native core is
  built or buildable here (ports/host and Debian's liblwip-dev);
* ``bench/bench_micropython.py`` when it exists and MicroPython's unix port is installed;
* every ``bench/bench_callgrind_*.py`` when valgrind is installed;
* with ``--faults``, tests/stress/test_faults.py, for the "error within timeout" figures.

Each script writes its results with ``--json FILE`` (format in bench/benchlib.py). The command
prints one table, draws throughput against buffer size per engine (PNG, matplotlib Agg), and
writes docs/performance.md-ready Markdown; ``--update-docs`` puts it into docs/performance.md
between the ``<!-- bench:begin -->`` and ``<!-- bench:end -->`` markers.
"""

import datetime
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

from socketpool_tools.paths import find_micropython, project_root, unwritable_dir

HELP = "run every benchmark available here and print ratios against same-run baselines"

LWIP_CORES = {"lwip-esp32": "esp32", "lwip-rp2": "rp2"}


def add_arguments(p):
    p.add_argument("--engines", default=None,
                   help="comma-separated engines for bench_host.py (default: host and every "
                   "host-lwIP engine that can be built here)")
    p.add_argument("--heavy", action="store_true", default=os.environ.get("SOCKETPOOL_HEAVY") == "1",
                   help="longer runs: more trials, 1 GiB transfers, a wider sweep (or SOCKETPOOL_HEAVY=1)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: few trials, the minimum 256 MiB on the host engine, small elsewhere")
    p.add_argument("--faults", action="store_true",
                   help="also run the namespace fault tests and tabulate error times (root only)")
    p.add_argument("--out", default="reports", help="where bench.json, the PNG and the Markdown go")
    p.add_argument("--update-docs", action="store_true",
                   help="write the figures into docs/performance.md between its markers")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")


def machine_facts():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def lwip_buildable(root, engine):
    core = LWIP_CORES[engine]
    if os.path.exists(os.path.join(root, "build", "host", "libsp_%s.so" % core)):
        return None
    if not os.path.isdir(os.path.join(root, "ports", "host")):
        return "no ports/host in this checkout"
    if not os.path.isdir("/usr/include/lwip"):
        return "Debian's liblwip-dev is not installed"
    return None


def plan(root, args):
    """[(label, argv, reason it cannot run or None)]"""
    py = sys.executable
    bench = os.path.join(root, "bench")
    jobs = []
    if args.engines:
        engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    else:
        engines = ["host", "lwip-esp32", "lwip-rp2"]
    for engine in engines:
        argv = [py, os.path.join(bench, "bench_host.py"), "--engine", engine, "--sweep"]
        if args.heavy:
            argv += ["--total-mib", "1024", "--trials", "9", "--rtt-trials", "51", "--sweep-mib", "256"]
        elif args.quick:
            argv += ["--trials", "3", "--rtt-trials", "7", "--sweep-mib", "16"]
            if engine != "host":
                argv += ["--total-mib", "32"]
        elif engine != "host":
            argv += ["--trials", "3", "--rtt-trials", "11", "--sweep-mib", "32"]
        why = None if engine == "host" else lwip_buildable(root, engine)
        jobs.append(("bench_host.py --engine %s" % engine, argv, why))
    mp_bench = os.path.join(bench, "bench_micropython.py")
    if os.path.exists(mp_bench):
        why = None if find_micropython() else "MicroPython's unix port is not installed"
        mp_argv = [py, mp_bench] + (["--mib", "128", "--rounds", "5"] if args.heavy else [])
        jobs.append(("bench_micropython.py", mp_argv, why))
    for path in sorted(glob.glob(os.path.join(bench, "bench_callgrind_*.py"))):
        why = None if shutil.which("valgrind") else "valgrind is not installed"
        jobs.append((os.path.basename(path), [py, path], why))
    return jobs


def run_job(label, argv, tmp, env, benchlib):
    """Run one bench script; its JSON result, or a dict saying why there is none."""
    print("== %s" % label, flush=True)
    if label == "bench_micropython.py":
        # that script prints its figures as one JSON line with --json (a flag, not a file)
        done = _run(argv + ["--json"], env)
        figures = _last_json_line(done.stdout)
        if figures is not None:
            return micropython_rows(figures, benchlib)
    else:
        out = os.path.join(tmp, "%d.json" % abs(hash(label)))
        done = _run(argv + ["--json", out], env)
        if os.path.exists(out):
            with open(out) as f:
                return json.load(f)
        if "unrecognized arguments" in done.stdout:  # a script without the JSON convention
            done = _run(argv, env)
            rows = printed_ratio_rows(label, done.stdout, benchlib)
            if rows:
                return {"bench": label, "engine": "", "rows": rows, "sweep": [],
                        "notes": ["ratios read from the printed output (no --json FILE)"]}
            return {"bench": label, "error": "printed its figures (above) but writes no --json FILE"}
    tail = done.stdout.strip().splitlines()[-3:]
    return {"bench": label, "error": "exit %d without results: %s" % (done.returncode, " | ".join(tail))}


_PRINTED_RATIO = re.compile(r"ratio ([\w/ ]+?) = ([\d.]+) \(target ([<>]=) ([\d.]+)")


def printed_ratio_rows(label, text, benchlib):
    """Rows from lines such as ``ratio engine/raw = 1.016 (target <= 1.15: met)``."""
    rows = []
    for name, ratio, op, limit in _PRINTED_RATIO.findall(text):
        r = benchlib.row("%s: %s" % (label, name), "x", 1.0, float(ratio), "%s %s" % (op, limit),
                         baseline_name="as printed")
        if label.startswith("bench_callgrind_"):
            r["engine"] = "lwip-" + label[len("bench_callgrind_"):-len(".py")]
        rows.append(r)
    return rows


def _run(argv, env):
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(done.stdout)
    return done


def _last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def micropython_rows(r, benchlib):
    """bench_micropython.py's figures as table rows (targets of issue 4)."""
    base = "raw MicroPython socket"
    rows = [
        benchlib.row("heap bytes per recv_into on a ready socket", "B", r["alloc_raw"], r["alloc_pool"],
                     "0 B", base, ok=r["alloc_pool"] < 1),
        benchlib.row("heap bytes per open socket", "B", r["heap_raw"], r["heap_pool"], "<= 256 B", base,
                     ok=r["heap_pool"] <= 256),
    ]
    ratios = r.get("ratios", {})  # medians of per-round ratios, when the script gives them
    for metric, pool_key, raw_key, baseline in (
        ("bulk recv_into throughput", "pool_recv", "raw_recv", base),
        ("bulk sendall throughput", "pool_send", "raw_send", base),
        ("bulk sendall throughput, vs non-blocking send", "pool_send", "raw_nb_send", "raw non-blocking send + poll"),
    ):
        if raw_key in r:
            ratio = ratios.get("%s_vs_%s" % (pool_key[5:], raw_key))
            rows.append(benchlib.row(metric, "MB/s", r[raw_key], r[pool_key], ">= 0.8", baseline, ratio=ratio))
    for x in rows:
        x["engine"] = "micropython"
    return {"bench": "micropython", "engine": "micropython", "rows": rows, "sweep": []}


def run_faults(root, tmp, env):
    figures = os.path.join(tmp, "faults.jsonl")
    env = dict(env, SOCKETPOOL_FAULT_FIGURES=figures)
    print("== tests/stress/test_faults.py", flush=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           os.path.join(root, "tests", "stress", "test_faults.py")],
                          cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    summary = done.stdout.strip().splitlines()[-1:] or [""]
    print(summary[0])
    rows = []
    if os.path.exists(figures):
        with open(figures) as f:
            rows = [json.loads(line) for line in f]
    return {"summary": summary[0], "rows": rows}


def _bench_lib(root):
    sys.path.insert(0, os.path.join(root, "bench"))
    import benchlib

    return benchlib


def markdown(results, faults, facts, commands, benchlib):
    lines = ["Measured %s on %s (%d cores), Python %s, Linux %s." % (
        facts["date"], facts["cpu"], facts["cores"], facts["python"], facts["kernel"]), ""]
    lines += ["| engine | metric | baseline | socketpool | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for res in results:
        for r in res.get("rows", []):
            lines.append("| %s | %s | %.4g %s (%s) | %.4g %s | %s | %s | %s |" % (
                r.get("engine", res.get("engine", "")), r["metric"], r["baseline"], r["unit"],
                r.get("baseline_name", "baseline"), r["value"], r["unit"], benchlib.format_ratio(r["ratio"]),
                r.get("target") or "n/a",
                {True: "yes", False: "**no**", None: "-"}[r.get("ok")]))
    missing = [res for res in results if "error" in res or "skipped" in res]
    if missing:
        lines += ["", "Not measured here:", ""]
        lines += ["- %s: %s" % (res["bench"], res.get("skipped") or res.get("error")) for res in missing]
    sweep = [p for res in results for p in res.get("sweep", [])]
    if sweep:
        sizes = sorted({p["bufsize"] for p in sweep})
        series = sorted({(p["engine"], p["variant"]) for p in sweep})
        lines += ["", "Receive throughput (MiB/s) against buffer size:", ""]
        lines.append("| engine | variant | " + " | ".join(_size(s) for s in sizes) + " |")
        lines.append("|---|---|" + "---|" * len(sizes))
        for eng, var in series:
            vals = {p["bufsize"]: p["MBps"] for p in sweep if (p["engine"], p["variant"]) == (eng, var)}
            lines.append("| %s | %s | %s |" % (eng, var, " | ".join(
                "%.0f" % vals[s] if s in vals else "" for s in sizes)))
    if faults is not None:
        lines += ["", "Fault tests (%s); seconds from the call to the contract's error:" % faults["summary"], ""]
        lines += ["| case | timeout (s) | error after (s) | within timeout + 1 s |", "|---|---|---|---|"]
        for r in faults["rows"]:
            within = "n/a" if r["timeout"] is None else ("yes" if r["seconds"] <= r["timeout"] + 1 else "**no**")
            lines.append("| %s | %s | %.3f | %s |" % (r["case"], r["timeout"], r["seconds"], within))
    lines += ["", "Commands: `%s`" % "`, `".join(commands)]
    return "\n".join(lines) + "\n"


def _size(n):
    return "%d KiB" % (n // 1024) if n >= 1024 else "%d B" % n


def plot(results, path):
    sweep = [p for res in results for p in res.get("sweep", [])]
    if not sweep:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for eng, var in sorted({(p["engine"], p["variant"]) for p in sweep}):
        pts = sorted((p["bufsize"], p["MBps"]) for p in sweep if (p["engine"], p["variant"]) == (eng, var))
        if var == "socketpool":
            label = "%s: socketpool" % eng
        else:
            label = "%s: raw CPython (%s)" % (eng, "peer process" if eng == "host" else "same thread peer")
        ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o",
                linestyle="-" if var == "socketpool" else "--", label=label)
        sizes = [x for x, _ in pts]
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes)
    ax.set_xticklabels([_size(x) for x in sizes])
    ax.set_yscale("log")
    ax.set_xlabel("recv_into buffer size (bytes)")
    ax.set_ylabel("receive throughput (MiB/s)")
    ax.set_title("socketpool loopback throughput against buffer size, per engine")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def update_docs(root, md):
    path = os.path.join(root, "docs", "performance.md")
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    with open(path) as f:
        text = f.read()
    if begin not in text or end not in text:
        raise SystemExit("docs/performance.md has no %s ... %s markers" % (begin, end))
    head, rest = text.split(begin, 1)
    _old, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + md + end + tail)
    return path


def main(args):
    known = ("host",) + tuple(LWIP_CORES)
    unknown = [e for e in (args.engines or "").split(",") if e.strip() and e.strip() not in known]
    if unknown:
        print("socketpool bench: unknown engine %s (use %s)" % (", ".join(unknown), ", ".join(known)), file=sys.stderr)
        return 2
    problem = unwritable_dir(args.out)
    if problem:
        print("socketpool bench: --out %s" % problem, file=sys.stderr)
        return 2
    root = project_root()
    if not root or not os.path.isdir(os.path.join(root, "bench")):
        print("socketpool bench: run it from a socketpool checkout (bench/ not found)", file=sys.stderr)
        return 2
    benchlib = _bench_lib(root)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, os.path.join(root, "tools")] +
                                        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    facts = machine_facts()
    results = []
    commands = [" ".join(["socketpool bench"] + [a for a in [
        "--heavy" if args.heavy else "", "--quick" if args.quick else "",
        "--faults" if args.faults else "", "--engines " + args.engines if args.engines else "",
        "--update-docs" if args.update_docs else ""] if a])]
    with tempfile.TemporaryDirectory() as tmp:
        for label, argv, why in plan(root, args):
            if why:
                print("== %s: skipped (%s)" % (label, why))
                results.append({"bench": label, "skipped": why})
                continue
            results.append(run_job(label, argv, tmp, env, benchlib))
        faults = run_faults(root, tmp, env) if args.faults else None
    rows = []
    for res in results:
        for r in res.get("rows", []):
            r.setdefault("engine", res.get("engine", ""))
            rows.append(r)
    print()
    print("socketpool bench, %s, %s (%d cores)" % (facts["date"], facts["cpu"], facts["cores"]))
    print(benchlib.format_table(rows, engine_key=True) if rows else "(no results)")
    for res in results:
        if "error" in res or "skipped" in res:
            print("not measured: %s: %s" % (res["bench"], res.get("skipped") or res.get("error")))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump({"machine": facts, "results": results, "faults": faults}, f, indent=1)
    md = markdown(results, faults, facts, commands, benchlib)
    md_path = os.path.join(args.out, "bench.md")
    with open(md_path, "w") as f:
        f.write(md)
    print("figures for docs/performance.md: %s" % md_path)
    png = None
    if not args.no_plot:
        png = plot(results, os.path.join(args.out, "bench-throughput.png"))
        if png:
            print("plot: %s" % png)
    if args.update_docs:
        print("updated %s" % update_docs(root, md))
        if png:
            shutil.copyfile(png, os.path.join(root, "docs", "performance-throughput.png"))
    failed = [r for r in rows if r.get("ok") is False]
    errors = [res for res in results if "error" in res]
    return 1 if failed or errors else 0
