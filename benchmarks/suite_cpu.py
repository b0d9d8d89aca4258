"""A pytest plugin that times the test suite in CPU seconds as well as wall seconds, per test.

On a shared machine a test's wall time mostly measures the other jobs; its CPU time (this process's, plus
that of the child processes it started and waited for, ``resource.getrusage``) does not. Load it with
``-p suite_cpu`` and ``benchmarks`` on the path:

    PYTHONPATH=$PWD:$PWD/benchmarks python -m pytest -p suite_cpu --cpu-durations 30 [--cpu-report FILE]

It prints the ``--cpu-durations`` tests that took the most CPU (setup, call and teardown added up) with their
wall time, and the totals; ``--cpu-report`` writes every test's as tab-separated lines. Under pytest-xdist
each worker measures its tests and the report carries the figures to the main process, so the totals are
the tests' own (collection and the workers' start are left out; the single-process total line adds them).
A child process that outlives its test (fnx's compile worker) counts only when it ends, in that test.
"""
from __future__ import annotations

import resource
import time

import pytest

_KEY = "cpu_seconds"
_tests: dict = {}  # node id -> (CPU, wall) seconds, in the process that reports (xdist's main process)
_start: list = []


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pytest_addoption(parser):
    group = parser.getgroup("suite_cpu")
    group.addoption("--cpu-durations", type=int, default=30, help="show the N tests that took the most CPU")
    group.addoption("--cpu-report", default=None, help="write each test's CPU and wall seconds to this file")


def pytest_configure(config):
    _start[:] = [_cpu(), time.perf_counter()]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._cpu_mark = _cpu()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    now = _cpu()
    report = (yield).get_result()
    report.user_properties.append((_KEY, now - item._cpu_mark))  # this phase's CPU (xdist sends it along)
    item._cpu_mark = now


def pytest_runtest_logreport(report):
    cpu = sum(value for key, value in report.user_properties if key == _KEY)
    before = _tests.get(report.nodeid, (0.0, 0.0))
    _tests[report.nodeid] = (before[0] + cpu, before[1] + report.duration)


def pytest_terminal_summary(terminalreporter, config):
    if not _tests:
        return
    rows = sorted(((cpu, wall, nodeid) for nodeid, (cpu, wall) in _tests.items()), reverse=True)
    write = terminalreporter.write_line
    terminalreporter.section(f"CPU time: the {config.option.cpu_durations} slowest tests")
    for cpu, wall, nodeid in rows[:config.option.cpu_durations]:
        write(f"{cpu:8.2f}s cpu {wall:8.2f}s wall  {nodeid}")
    cpu0, wall0 = _start
    write(f"tests: {sum(r[0] for r in rows):.1f}s cpu, {sum(r[1] for r in rows):.1f}s wall; this process from "
          f"its start: {_cpu() - cpu0:.1f}s cpu, {time.perf_counter() - wall0:.1f}s wall")
    if config.option.cpu_report:
        with open(config.option.cpu_report, "w") as f:
            f.writelines(f"{cpu:.3f}\t{wall:.3f}\t{nodeid}\n" for cpu, wall, nodeid in rows)
