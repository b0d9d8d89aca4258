"""The book package's machinery: checks, the registry's rules, the runner's statuses and summary, figures,
and the ``python -m fnx book`` command."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fnx.books.runner as runner
from fnx.books import Below, Between, Falls, Listing, RunContext, Value, get, listing, run_listing, summary
from fnx.books.cli import main
from fnx.books.data import mnist_or_digits


def unit(run, expect, kind="exact", figure=(), **fields):
    """A listing that is not registered (so the tests leave the registry as it is)."""
    return Listing("ketkar", 4, "test", "a test unit", kind, expect, run, figure=figure,
                   reason="because" if kind == "deviates" else "", **fields)


PENDING = Listing("ketkar", 4, "test-pending", "a pending unit", "pending", {}, None, blockers=("fit",))


def test_value_is_exact_without_tolerance_and_checks_shapes():
    assert Value([1.0, 2.0]).holds(np.array([1.0, 2.0]), {})
    assert not Value([1.0, 2.0]).holds(np.array([1.0, 2.0 + 1e-15]), {})
    assert Value([1.0, 2.0], rtol=1e-12).holds(np.array([1.0, 2.0 + 1e-15]), {})
    assert not Value([1.0, 2.0], rtol=1e-3).holds(np.array([[1.0, 2.0]]), {})
    assert Value(0.5, printed=0.4).book == "0.4 (right: 0.5)"


def test_trend_checks():
    assert Falls().holds([3.0, 2.0, 1.0], {}) and not Falls().holds([3.0, np.nan, 1.0], {})
    assert not Falls(0.1).holds([3.0, 2.0, 1.0], {})
    assert Between(0.5, 0.7, printed=0.6).holds(0.55, {}) and not Between(0.5, 0.7).holds(0.75, {})
    assert Below("before").holds(0.2, {"before": 0.3}) and not Below("before").holds(0.3, {"before": 0.3})
    assert Falls().render([1.0, 0.25]) == "1 -> 0.25"


def test_statuses():
    assert run_listing(unit(lambda: {"v": 1.0}, {"v": Value(1.0)})).status == "exact"
    assert run_listing(unit(lambda: {"v": 1.0}, {"v": Value(1.0)}, "deviates")).status == "deviates"
    assert run_listing(unit(lambda: {"v": [2.0, 1.0]}, {"v": Falls()}, "trend")).status == "trend met"
    failed = run_listing(unit(lambda: {"v": 2.0, "w": 1.0}, {"v": Value(1.0), "w": Value(1.0)}))
    assert (failed.status, failed.failed, failed.ok) == ("FAILED", ("v",), False)
    assert "FAILED" in failed.row() and "| v: 1. " in failed.row()
    missing = run_listing(unit(lambda: {}, {"v": Value(1.0)}))
    assert missing.failed == ("v",)
    error = run_listing(unit(lambda: 1 / 0, {"v": Value(1.0)}))
    assert error.status == "error" and error.error.endswith("ZeroDivisionError: division by zero")


def test_a_unit_without_its_data_file_runs_on_its_stand_in(tmp_path):
    def run(ctx):
        return {"v": 1.0 if ctx.path("book.txt") else 2.0}
    entry = unit(run, {"v": Value(1.0)}, data_files=("book.txt",), stand_in_expect={"v": Value(2.0)})
    stand_in = run_listing(entry, RunContext(data_dir=str(tmp_path)))
    assert (stand_in.status, stand_in.on_stand_in, stand_in.ok) == ("stand-in", True, True)
    assert "| v: 2. " in stand_in.row() and "stand-in" in stand_in.row()
    assert run_listing(entry).status == "stand-in"  # no --data at all
    (tmp_path / "book.txt.gz").write_bytes(b"")  # a gzipped copy counts
    assert run_listing(entry, RunContext(data_dir=str(tmp_path))).status == "exact"
    wrong = unit(lambda: {"v": 3.0}, {"v": Value(1.0)}, data_files=("book.txt",), stand_in_expect={"v": Value(2.0)})
    assert run_listing(wrong).status == "FAILED"


def test_a_gpu_unit_without_a_gpu_needs_one(monkeypatch):
    monkeypatch.setattr(runner, "gpu_available", lambda: False)
    outcome = run_listing(unit(lambda: {"v": 1.0}, {"v": Value(1.0)}, gpu=True))
    assert (outcome.status, outcome.ok) == ("needs GPU", True) and outcome.row().endswith("| needs GPU")
    monkeypatch.setattr(runner, "gpu_available", lambda: True)
    assert run_listing(unit(lambda: {"v": 1.0}, {"v": Value(1.0)}, gpu=True)).status == "exact"


def test_units_get_the_context_only_when_they_take_it():
    seen = []
    run_listing(unit(lambda context: seen.append(context.quick) or {}, {}), RunContext(quick=True))
    assert seen == [True]


def test_summary_counts_per_book(monkeypatch):
    monkeypatch.setattr(runner, "gpu_available", lambda: False)
    outcomes = [run_listing(get("ketkar", "4-1")), run_listing(PENDING), run_listing(get("buduma", "E24")),
                run_listing(unit(lambda: {}, {}, gpu=True)),
                run_listing(unit(lambda: {}, {}, data_files=("none",), stand_in_expect={}))]
    lines = summary(outcomes).splitlines()
    assert lines[0] == ("units run 3: exact 2, within tolerance 0, trend met 0, deviating 0, on stand-in 1, failed 0, "
                        "errors 0, pending 1, needing a GPU 1")
    assert lines[1].split()[:4] == ["ketkar", "units", "run", "2:"] and lines[1].endswith("needing a GPU 1")
    assert lines[2].split()[0] == "buduma"


def test_registry_refuses_bad_entries():
    with pytest.raises(ValueError, match="unknown book"):
        listing("nobook", "1", "t", kind="exact", expect={}, chapter=1)(lambda: {})
    with pytest.raises(ValueError, match="kind"):
        listing("ketkar", "x-1", "t", kind="roughly", expect={}, chapter=1)(lambda: {})
    with pytest.raises(ValueError, match="needs a reason"):
        listing("ketkar", "x-2", "t", kind="deviates", expect={}, chapter=1)(lambda: {})
    with pytest.raises(ValueError, match="registered twice"):
        listing("ketkar", "4-1", "t", kind="exact", expect={}, chapter=4)(lambda: {})
    with pytest.raises(ValueError, match="chNN"):
        listing("ketkar", "x-3", "t", kind="exact", expect={})(lambda: {})  # defined in a test module
    with pytest.raises(KeyError, match="ketkar has: 2-1"):
        get("ketkar", "99-1")


def test_figures(tmp_path, monkeypatch):
    entry = unit(lambda: {"loss": [2.0, 1.0], "map": np.eye(3)}, {"loss": Falls()}, "trend", figure=("loss", "map"))
    outcome = run_listing(entry)
    path = runner.write_figure(outcome, str(tmp_path))
    assert os.path.getsize(os.path.join(tmp_path, "ketkar-test.png")) > 0 and path.endswith("ketkar-test.png")
    monkeypatch.setattr(runner, "available", lambda module: False)
    assert runner.write_figure(outcome, str(tmp_path)) == "no figure: matplotlib is not installed"


def test_command_lists_selects_and_runs(capsys):
    assert main(["--book", "ketkar", "--chapter", "7", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "chapter 7" in listed and "7-8" in listed and "[trend]" in listed
    assert main(["--book", "ghatak", "--chapter", "8", "--list"]) == 0
    assert "glove.6B.100d.txt in --data DIR" in capsys.readouterr().out
    assert main(["--listing", "ketkar:4-1", "--listing", "ghatak:L8-14", "--figures", ""]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("listing") and out[1].startswith("ketkar:4-1") and " exact " in out[1]
    assert "| stand-in" in out[2] and out[3].startswith("units run 2: exact 1")
    with pytest.raises(SystemExit, match="no listing 'ketkar:99-1'"):
        main(["--listing", "ketkar:99-1"])
    with pytest.raises(SystemExit, match="--chapter needs --book"):
        main(["--chapter", "4"])


def test_python_m_fnx_book_dispatches_to_the_book_command():
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    done = subprocess.run([sys.executable, "-m", "fnx", "book", "--listing", "buduma:E14", "--figures", ""],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "buduma:E14" in done.stdout and "units run 1: exact 1" in done.stdout


def test_mnist_listings_read_the_users_files_or_say_which_are_missing(tmp_path):
    from test_datasets import write_mnist  # the IDX writer of the loader tests
    rng = np.random.default_rng(0)
    images, labels = write_mnist(tmp_path, "train", 12, True, rng)
    write_mnist(tmp_path, "t10k", 5, False, rng)
    X, X_test, y, y_test = mnist_or_digits(str(tmp_path))
    assert X.shape == (12, 784) and X_test.shape == (5, 784) and float(X.max()) <= 1.0
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_allclose(X[3], images[3].ravel() / 255.0)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        mnist_or_digits(str(tmp_path / "nowhere"))
    assert mnist_or_digits(None)[0].shape[1] == 64  # the stand-in: the shipped 8x8 digits


@pytest.mark.parametrize("module", ["fnx.books", "fnx.books.checks", "fnx.books.registry", "fnx.books.loops",
                                    "fnx.books.data", "fnx.books.ghatak.wordvectors"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 1 and result.failed == 0
