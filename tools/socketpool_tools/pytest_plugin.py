"""pytest plugin: ``--target`` picks where the conformance suite runs (docs/harness.md).

In-process targets (host, host-lwip-*) give the tests a real pool; remote targets (micropython,
a serial board, rfc2217:// or socket://, auto, rp2040js:<image>) give a proxy whose calls run on
the target through the raw REPL, while the peers stay in this pytest process.
"""

import contextlib
import signal

import pytest

from socketpool_tools import redact
from socketpool_tools.paths import log_path
from socketpool_tools.remote_target import TargetOptions
from socketpool_tools.settings import SettingsError, register_secrets
from socketpool_tools.target_names import pick_for_worker, split_targets
from socketpool_tools.targets import make_target

LOG_TAIL_LINES = 40
EXIT_NO_TARGET = 2  # the suite's exit status when the target cannot be opened


def pytest_addoption(parser):
    group = parser.getgroup("socketpool")
    group.addoption(
        "--target",
        default="host",
        help="where socketpool runs: host, host-lwip-esp32, host-lwip-rp2, micropython, auto, a "
        "serial port, rfc2217://host:port, socket://host:port, rp2040js:<firmware.uf2> "
        "(default host); a,b,... with pytest-xdist: worker i uses target i",
    )
    group.addoption("--case-timeout", type=float, default=None,
                    help="seconds one case may take (remote calls are cut at this too)")
    group.addoption("--call-timeout", type=float, default=30.0,
                    help="seconds one call on a remote target may take (default 30)")
    group.addoption("--target-log", default=None, metavar="DIR",
                    help="write everything exchanged with each target to DIR/target-<name>.log")
    group.addoption("--retries", type=int, default=0, metavar="N",
                    help="rerun a failed case up to N times on remote targets (flaky links)")
    group.addoption("--peer-host", default=None,
                    help="address a Wi-Fi board reaches this computer at (default: detected)")
    group.addoption("--settings", default="settings.toml",
                    help="settings.toml with CIRCUITPY_WIFI_SSID/PASSWORD for a Wi-Fi board")
    group.addoption("--no-deploy", action="store_true",
                    help="do not copy socketpool onto a board first")
    group.addoption("--bootrom", default=None, help="RP2040 bootrom image for rp2040js targets")
    group.addoption("--link", default="auto", choices=("auto", "slip", "none"),
                    help="rp2040js: the SLIP link to this computer (RPI_PICO_W_SLIP firmware): auto "
                    "(use it when the board answers), slip (required), none (default auto); micropython: "
                    "auto makes the host-lwIP TUN link for a unix port with a native binding, none not")
    group.addoption("--no-soft-reset", action="store_true",
                    help="do not soft-reset a serial target first (a unix port behind a serial server)")


def _workerid(config):
    return getattr(config, "workerinput", {}).get("workerid")


def pytest_configure(config):
    try:
        register_secrets(config.getoption("--settings"))
    except SettingsError as e:
        raise pytest.UsageError("%s: %s" % (config.getoption("--settings"), e))
    try:
        specs = split_targets(config.getoption("--target"))
        spec = pick_for_worker(specs, _workerid(config))
    except ValueError as e:
        raise pytest.UsageError(str(e))
    config._socketpool_spec = spec
    config._socketpool_deselected = set()


def pytest_deselected(items):
    """Remember what ``-k``/``-m`` left out, so the report can say "not run" rather than "no test"."""
    if items:
        store = items[0].config._socketpool_deselected
        for item in items:
            path, _, name = item.nodeid.partition("::")
            module = path.rsplit("/", 1)[-1][:-3] if path.endswith(".py") else path
            store.add("%s::%s" % (module, name.split("[", 1)[0]))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    """The run's facts as JUnit properties (before junitxml writes the file): the target, the
    -k expression and the deselected test functions."""
    from _pytest.junitxml import xml_key

    config = session.config
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    xml.add_global_property("socketpool_target", config._socketpool_spec.name)
    if config.getoption("keyword"):
        xml.add_global_property("socketpool_keyword", config.getoption("keyword"))
    if config._socketpool_deselected:
        xml.add_global_property("socketpool_deselected", " ".join(sorted(config._socketpool_deselected)))


def pytest_report_header(config):
    spec = config._socketpool_spec
    return "socketpool target: %s (%s)" % (spec.name, "remote" if spec.remote else "in this process")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    limit = config.getoption("--case-timeout")
    if limit:
        for item in items:
            own = item.get_closest_marker("timeout")
            if own is None:
                item.add_marker(pytest.mark.timeout(limit))
            elif own.args and isinstance(own.args[0], (int, float)) and own.args[0] < limit:
                # a case's own timeout gives it more than the default; a longer --case-timeout
                # (a slow target: the emulated Pico W) gives every case more, that one too
                item.add_marker(pytest.mark.timeout(limit), append=False)


def target_options(config):
    call = config.getoption("--call-timeout")
    case = config.getoption("--case-timeout")
    if case:
        call = min(call, case)
    return TargetOptions(
        log_dir=config.getoption("--target-log"),
        call_timeout=call,
        peer_host=config.getoption("--peer-host"),
        settings=config.getoption("--settings"),
        deploy=not config.getoption("--no-deploy"),
        bootrom=config.getoption("--bootrom"),
        soft_reset=not config.getoption("--no-soft-reset"),
        link=config.getoption("--link"),
    )


@pytest.fixture(scope="session")
def target(request):
    spec = request.config._socketpool_spec
    with _case_timer_paused():  # booting and deploying a target is not the first case's time
        try:
            t = make_target(spec, target_options(request.config))
        except Exception as e:
            # one line and stop: every case needs the target, so none could run
            why = redact.redact(" ".join(str(e).split()) or type(e).__name__)
            pytest.exit("socketpool: cannot open target %s: %s" % (spec.name, why), returncode=EXIT_NO_TARGET)
    request.config._socketpool_target = t
    yield t
    request.config._socketpool_target = None
    t.close()


CALL_MARGIN_S = 2.0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """A remote call ends (interrupted, TargetTimeout) a little before the case's own timeout,
    so a hung target fails the case with the harness's message, not pytest-timeout's."""
    t = getattr(item.config, "_socketpool_target", None)
    session = getattr(t, "session", None)
    if session is None:
        return
    limit = item.config.getoption("--call-timeout")
    marker = item.get_closest_marker("timeout")
    if marker and marker.args and marker.args[0]:
        limit = min(limit, max(1.0, float(marker.args[0]) - CALL_MARGIN_S))
    session.call_timeout = limit


@contextlib.contextmanager
def _case_timer_paused():
    """Hold pytest-timeout's per-case alarm (its signal method) while the target starts."""
    timer = getattr(signal, "ITIMER_REAL", None)
    left = signal.getitimer(timer)[0] if timer is not None else 0
    if left:
        signal.setitimer(timer, 0)
    try:
        yield
    finally:
        if left:
            signal.setitimer(timer, left)


@pytest.fixture
def pool(target):
    """The target's SocketPool; the test must give back every slot it took."""
    if target.remote:
        target.ensure_ready()
    target.gc_collect()
    before = target.slots_in_use()
    yield target.pool
    if target.remote and target.ensure_ready():
        return  # the target was reset during the case: its slots start afresh
    target.gc_collect()
    after = target.slots_in_use()
    assert after == before, "test leaked %d socket slot(s)" % (after - before)


# --- retries on remote targets ----------------------------------------------------------------

def retries_for(config):
    """How often a failed case is rerun: --retries on remote targets, never in-process (a local
    failure is a real one, not a flaky link)."""
    n = config.getoption("--retries") or 0
    return n if config._socketpool_spec.remote and n > 0 else 0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    retries = retries_for(item.config)
    if not retries:
        return None
    from _pytest.runner import runtestprotocol

    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for attempt in range(retries + 1):
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        failed = [r for r in reports if r.failed]
        if not failed or attempt == retries:
            break
        for r in failed:
            r.outcome = "rerun"  # shown as R in the progress line, not counted as a failure
            item.ihook.pytest_runtest_logreport(report=r)
        item._initrequest()  # fresh fixtures for the next attempt
    if attempt:
        for r in reports:
            r.user_properties.append(("attempts", attempt + 1))
    for r in reports:
        item.ihook.pytest_runtest_logreport(report=r)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_report_teststatus(report, config):
    if report.outcome == "rerun":
        return "rerun", "R", ("RERUN", {"yellow": True})
    return None


# --- what a failing case prints; credentials never ------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    spec = item.config._socketpool_spec
    log_dir = item.config.getoption("--target-log")
    if report.failed and spec.remote and log_dir:
        path = log_path(log_dir, spec.name)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                tail = f.readlines()[-LOG_TAIL_LINES:]
            report.sections.append(("target log (last %d lines of %s)" % (len(tail), path), "".join(tail)))
        except OSError:
            pass
    _redact_report(report)


def _redact_report(report):
    """Mask secrets in everything a report carries to the terminal and the JUnit XML: the
    failure text, a skip's (path, line, reason), an xfail's reason, captured sections."""
    if isinstance(report.longrepr, tuple):
        report.longrepr = tuple(redact.redact(x) if isinstance(x, str) else x for x in report.longrepr)
    elif isinstance(report.longrepr, str):
        report.longrepr = redact.redact(report.longrepr)
    elif report.longrepr is not None:
        text = str(report.longrepr)
        clean = redact.redact(text)
        if clean != text:
            report.longrepr = clean
    if isinstance(getattr(report, "wasxfail", None), str):
        report.wasxfail = redact.redact(report.wasxfail)
    report.sections = [(redact.redact(k), redact.redact(v)) for k, v in report.sections]
