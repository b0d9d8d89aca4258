"""The disk cache (fnx/lower/cpu/disk_cache.py): it runs only verified code, heals damaged entries, refuses
folders it cannot trust or write, and stays under its size cap.

Loading a damaged Numba cache file could crash the process, so those cases run in subprocesses: a crash
fails the test instead of ending pytest. Tests run as root here; another user's files are made with chown.
"""
import errno
import json
import math
import os
import subprocess
import sys
import textwrap
import time
import warnings

import pytest

import fnx
from fnx.lower.cpu import disk_cache

NOBODY = 65534
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="making a file another user's (chown) needs root")


def _source(tag: str, plus: float = 1.0) -> str:
    """A small generated-style module: its ``f(x)`` is ``2x + plus``."""
    return f"# {tag}\nimport numba\n\n\n@numba.njit(cache=True)\ndef f(x):\n    return 2.0 * x + {plus}\n"


@pytest.fixture
def cache(tmp_path):
    """A fresh cache folder for this test (fnx.config.cache_dir), the previous one restored afterwards."""
    before = fnx.config.cache_dir
    fnx.config.update("cache_dir", str(tmp_path / "cache"))
    yield tmp_path / "cache"
    fnx.config.update("cache_dir", before)


def _cache_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, disk_cache.CacheWarning)]


def test_modules_and_machine_code_are_private_sealed_files(cache):
    module = disk_cache.load_module(_source("private"))
    assert module.f(3.0) == 7.0
    name = disk_cache.module_name(_source("private"))
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)
    files = sorted(p.name for p in cache.iterdir())
    assert files[-1] == name + ".py" and len(files) == 3, files  # with Numba's index and data files
    for path in cache.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
    assert (cache / (name + ".py")).read_text() == _source("private")
    for suffix in (".nbi", ".nbc"):
        (numba_file,) = cache.glob(f"{name}.*{suffix}")
        assert numba_file.read_bytes().startswith(b"fnx sealed 1\n")


def test_a_planted_module_is_never_run(cache, tmp_path):
    source = _source("planted")
    marker = tmp_path / "planted-code-ran"
    cache.mkdir(mode=0o700)
    planted = cache / (disk_cache.module_name(source) + ".py")
    planted.write_text(f"open({str(marker)!r}, 'w').close()\n" + _source("planted", plus=100.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = disk_cache.load_module(source)
    assert module.f(3.0) == 7.0  # not 106
    assert not marker.exists()
    assert planted.read_text() == source  # rewritten from the source fnx generated
    (message,) = _cache_warnings(caught)
    assert str(cache) in message and "damaged" in message


@AS_ROOT
def test_a_module_file_of_another_user_is_not_trusted_even_if_its_source_is_right(cache):
    source = _source("another user's file")
    cache.mkdir(mode=0o700)
    path = cache / (disk_cache.module_name(source) + ".py")
    path.write_text(source)
    os.chown(path, NOBODY, NOBODY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert disk_cache.load_module(source).f(1.0) == 3.0
    assert "another user" in _cache_warnings(caught)[0]
    assert path.stat().st_uid == os.geteuid()


@pytest.mark.parametrize("make_unsafe", [
    pytest.param(lambda p: os.chown(p, NOBODY, NOBODY), id="owned by another user", marks=AS_ROOT),
    pytest.param(lambda p: os.chmod(p, 0o777), id="writable by others")])
def test_an_unsafe_cache_folder_is_refused(cache, make_unsafe):
    cache.mkdir(mode=0o700)
    make_unsafe(cache)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert disk_cache.folder() is None
        assert disk_cache.load_module(_source("unsafe folder " + str(cache))).f(2.0) == 5.0
    (message,) = _cache_warnings(caught)
    assert "FNX_CACHE_DIR" in message and str(cache) in message
    assert list(cache.iterdir()) == []


def _unwritable_folders():
    """Ways a cache folder cannot be written: (id, prepare(cache, monkeypatch))."""
    def a_file(cache, monkeypatch):
        cache.write_text("not a folder")

    def failing_writes(code):
        def prepare(cache, monkeypatch):
            def write(path, data):
                raise OSError(code, os.strerror(code), path)
            monkeypatch.setattr(disk_cache, "_write_atomically", write)
        return prepare

    def empty(cache, monkeypatch):
        fnx.config.update("cache_dir", "")

    return {"a file": a_file, "full disk": failing_writes(errno.ENOSPC),
            "read-only": failing_writes(errno.EROFS), "empty": empty}


@pytest.mark.parametrize("case", list(_unwritable_folders()))
def test_an_unwritable_cache_folder_gives_one_warning_and_compiles_in_memory(cache, monkeypatch, case):
    _unwritable_folders()[case](cache, monkeypatch)
    written = []
    monkeypatch.setattr(disk_cache, "_wrote", lambda where, nbytes: written.append(where))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = disk_cache.load_module(_source(f"unwritable {case} {cache}"))
        second = disk_cache.load_module(_source(f"unwritable {case} {cache}", plus=2.0))
        assert (first.f(1.0), second.f(1.0)) == (3.0, 4.0)
    (message,) = _cache_warnings(caught)
    assert "FNX_CACHE_DIR" in message
    assert written == []  # neither the modules nor Numba's files
    assert first.__file__.startswith(disk_cache.MEMORY)


def _entry(folder, age: float, nbytes: int, name=None) -> str:
    """A cache entry written ``age`` seconds ago: a module and one Numba data file, ``nbytes`` in all."""
    name = name or "fnx_" + os.urandom(12).hex()
    then = time.time() - age
    for suffix in (".py", ".f-4.py311.1.nbc"):
        path = folder / (name + suffix)
        if not path.exists():
            path.write_bytes(b"x" * (nbytes // 2))
        os.utime(path, (then, then))
    return name


def test_least_recently_used_entries_are_evicted_past_the_size_cap(cache):
    cache.mkdir(mode=0o700)
    old, middle, new = (_entry(cache, age, 40_000) for age in (300, 200, 100))
    stale_kernels = cache / "kernels_0123456789abcdef"
    stale_kernels.mkdir()
    (stale_kernels / "kernels.empty-26.py311.nbi").write_bytes(b"x" * 1000)
    os.utime(stale_kernels, (time.time() - 350,) * 2)
    legacy = cache / "__pycache__"  # Numba's unsealed files, as fnx kept them before
    legacy.mkdir()
    (legacy / "fnx_0123456789abcdef01234567.f0-10.py311.nbi").write_bytes(b"x" * 1000)
    os.utime(legacy, (time.time() - 400,) * 2)
    abandoned = cache / ".fnx-tmp-abandoned"
    abandoned.write_bytes(b"x" * 10)
    os.utime(abandoned, (time.time() - 7200,) * 2)
    (cache / "notes.txt").write_text("not fnx's")
    source = _source("lru")
    cap = 100_000  # 122 kB after the write: past it, fnx evicts down to 90 kB
    try:
        fnx.config.update("cache_max_bytes", cap)
        disk_cache.load_module(source)  # the write that goes past the cap
    finally:
        fnx.config.update("cache_max_bytes", 1 << 30)
    left = {p.name for p in cache.iterdir()}
    assert not any(name.startswith(old) for name in left)  # the module and its Numba file
    assert stale_kernels.name not in left and abandoned.name not in left and legacy.name not in left
    assert {middle + ".py", new + ".py", "notes.txt", disk_cache.module_name(source) + ".py"} <= left


def test_a_module_loaded_in_this_process_is_never_evicted(cache):
    source = _source("in use")
    assert disk_cache.load_module(source).f(0.0) == 1.0
    name = disk_cache.module_name(source)
    for path in cache.glob(name + ".*"):
        os.utime(path, (1.0, 1.0))  # the least recently used
    other = _entry(cache, 10, 1000)
    assert disk_cache.evict(str(cache), 0) == sum(p.stat().st_size for p in cache.glob(name + ".*"))
    assert not list(cache.glob(other + ".*")) and len(list(cache.glob(name + ".*"))) == 3


def test_cache_settings():
    with pytest.raises(ValueError, match="cache_max_bytes"):
        fnx.config.update("cache_max_bytes", -1)
    before = fnx.config.cache_dir
    try:
        fnx.config.update("cache_dir", "")
        assert fnx.config.cache_dir == ""  # not the working directory
    finally:
        fnx.config.update("cache_dir", before)


# -- across processes ------------------------------------------------------------------------------------------

def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = os.urandom(len(data[middle:middle + 64]))
    path.write_bytes(bytes(data))


DAMAGES = {  # which file of an entry, and what happens to it
    "truncated .py": (".py", _truncate), "garbled .py": (".py", _garble),
    "truncated .nbi": (".nbi", _truncate), "garbled .nbi": (".nbi", _garble),
    "truncated .nbc": (".nbc", _truncate), "garbled .nbc": (".nbc", _garble),
    ".nbi writable by others": (".nbi", lambda p: os.chmod(p, 0o666)),
}
if os.geteuid() == 0:
    DAMAGES[".nbc of another user"] = (".nbc", lambda p: os.chown(p, NOBODY, NOBODY))

# Loads the modules given (tag -> source) and calls a kernel; prints their results, Numba's cache hits and
# misses, the modules' names, and every Numba cache file or module this process opened for writing outside
# the cache folder.
SCRIPT = textwrap.dedent("""
    import json, os, sys
    cache = os.environ["FNX_CACHE_DIR"]
    written = []
    def audit(event, args):
        if event == "open" and isinstance(args[0], str) and args[0].endswith((".nbi", ".nbc", ".py")) \\
                and isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR) \\
                and not os.path.abspath(args[0]).startswith(cache + os.sep):
            written.append(args[0])
    sys.addaudithook(audit)
    from fnx.lower.cpu import compile, disk_cache, kernels  # noqa: F401  (compile: the CPU backend)
    out, names = {}, {}
    for tag, source in json.loads(sys.argv[1]).items():
        f = disk_cache.load_module(source).f
        out[tag] = [f(3.0), sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values())]
        names[tag] = f.py_func.__module__
    k = kernels.erfc
    out["kernel"] = [k(0.5), sum(k.stats.cache_hits.values()), sum(k.stats.cache_misses.values())]
    print(json.dumps({"results": out, "names": names, "written": written}))
""")


def _run(cache, sources: dict) -> tuple[dict, str]:
    env = {**os.environ, "FNX_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(sources)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # a crash (segfault, abort) shows here
    return json.loads(done.stdout), done.stderr


def test_damaged_entries_are_detected_removed_and_recompiled(tmp_path):
    cache = tmp_path / "cache"
    sources = {tag: _source(tag, plus=float(i)) for i, tag in enumerate(DAMAGES)}
    first, _ = _run(cache, sources)
    assert first["written"] == []  # every compiled artefact is in the cache folder
    assert all(misses == 1 for _, _, misses in first["results"].values())
    for tag, name in first["names"].items():  # as the subprocess names them (its kernel files' hash)
        suffix, damage = DAMAGES[tag]
        (path,) = cache.glob(f"{name}*{suffix}")
        damage(path)
    (kernels_folder,) = cache.glob("kernels_*")
    _garble(next(kernels_folder.glob("kernels.erfc-*.nbc")))

    second, stderr = _run(cache, sources)
    for i, tag in enumerate(sources):
        assert second["results"][tag] == [6.0 + i, 0, 1], tag  # the right result, compiled again
    assert second["results"]["kernel"] == [pytest.approx(math.erfc(0.5), rel=1e-15), 0, 1]
    assert stderr.count("CacheWarning") == len(sources) + 1 and str(cache) in stderr

    third, stderr = _run(cache, sources)  # healed: everything loads from the cache, silently
    assert all(hits == 1 and misses == 0 for _, hits, misses in third["results"].values())
    assert "CacheWarning" not in stderr


def test_an_empty_cache_setting_writes_nothing_anywhere(tmp_path):
    """FNX_CACHE_DIR="" used to put Numba's files in the working directory."""
    script = textwrap.dedent("""
        import os, sys, warnings
        written = []
        sys.addaudithook(lambda event, args: written.append(args[0]) if event == "open" and isinstance(args[2], int)
                         and args[2] & (os.O_WRONLY | os.O_RDWR) and str(args[0]).endswith((".nbi", ".nbc", ".py"))
                         else None)
        import numpy as np, fnx
        out = fnx.jit(lambda x: x * 2.0 + 1.0).lower(np.ones(3)).compile().call(np.ones(3))
        print(float(np.asarray(out[0])[0]), written)
    """)
    env = {**os.environ, "FNX_CACHE_DIR": "", "FNX_BACKGROUND_COMPILE": "off", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(maxsplit=1) == ["3.0", "[]\n"]
    assert done.stderr.count("CacheWarning") == 1 and "FNX_CACHE_DIR" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module", ["blas", "kernels", "kernels_arrays", "kernels_collectives",
                                    "kernels_decompositions", "kernels_fft", "vecmath"])
def test_a_kernel_module_imported_first_keeps_its_caches_in_the_cache_folder(tmp_path, module):
    """Imported before anything else of fnx's (as tests and the compile worker's helpers do), a kernel module's
    functions still cache in FNX_CACHE_DIR, not in the installed package's __pycache__."""
    script = textwrap.dedent(f"""
        import json, sys
        from numba.core.caching import NullCache
        from numba.core.registry import CPUDispatcher
        import fnx.lower.cpu.{module}
        modules = [m for m in list(sys.modules.values()) if m and m.__name__.startswith("fnx.")]
        print(json.dumps([d._cache._cache_path for m in modules for d in vars(m).values()
                          if isinstance(d, CPUDispatcher) and not isinstance(d._cache, NullCache)]))
    """)
    cache = tmp_path / "cache"
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "FNX_CACHE_DIR": str(cache)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    paths = json.loads(done.stdout)
    assert paths and all(p.startswith(str(cache) + os.sep) for p in paths), paths


def test_each_process_names_its_compiled_functions_apart():
    """Numba names a function ``qualname$n`` from a per-process counter and links callees as weak symbols: two
    cached programs compiled by two processes could hold one name for different code, and loaded together
    the second called the first one's function (a cached cos(x) * 2 gave 2 tanh(x)). Importing the disk cache
    starts the counter at a random 60-bit offset, so two processes' names never meet."""
    script = ("import fnx.lower.cpu.disk_cache\nfrom numba.core.bytecode import FunctionIdentity\n"
              "print(next(FunctionIdentity._unique_ids))")
    starts = [int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                 timeout=300).stdout) for _ in range(2)]
    assert min(starts) > 2 ** 20 and starts[0] != starts[1]


# A generated-style module calling an array kernel, which its machine code calls by symbol (kernel_calls).
KERNEL_CALLER = textwrap.dedent("""
    import numba
    import numpy as np
    from fnx.lower.cpu import kernels as k


    @numba.njit(cache=True)
    def f(x):
        return k.logical_rows(x > 0.5, np.int64(1))
""")
CALLER_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from fnx.lower.cpu import compile, disk_cache  # noqa: F401  (compile: the CPU backend)
    f = disk_cache.load_module(sys.argv[1]).f
    x = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    out = f(x).tolist()
    (library,) = [c.library for c in f.overloads.values()]
    ir = library.get_llvm_str() if library._final_module.functions else ""  # empty when loaded from the cache
    declared = [line for line in ir.splitlines() if line.startswith("declare") and "logical_rows" in line]
    print(json.dumps([out, sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()), len(declared)]))
""")


def test_a_module_whose_kernel_symbol_changed_is_compiled_again_not_loaded(tmp_path):
    """Generated code calls an array kernel by its symbol instead of linking its code in; when the kernel is
    compiled again (here: its cache files removed), its symbol changes, and the cached module, which names
    the old one, must not be loaded (an unresolved symbol ends the process inside LLVM)."""
    cache = tmp_path / "cache"

    def run():
        done = subprocess.run([sys.executable, "-c", CALLER_SCRIPT, KERNEL_CALLER], capture_output=True,
                              env={**os.environ, "FNX_CACHE_DIR": str(cache)}, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout), done.stderr

    expected = [True, False]
    first, _ = run()
    assert first == [expected, 0, 1, 1]  # compiled, with the kernel declared, not linked in
    (kernels_folder,) = cache.glob("kernels_*")
    for path in kernels_folder.glob("kernels.logical_rows-*"):
        path.unlink()
    second, stderr = run()
    assert second[:3] == [expected, 0, 1]  # compiled again
    assert stderr.count("CacheWarning") == 1 and "logical_rows" in stderr and str(cache) in stderr
    third, stderr = run()
    assert third[:3] == [expected, 1, 0] and "CacheWarning" not in stderr


def test_cache_keys_need_numba_s_version_not_its_metadata(monkeypatch):
    """Without Numba's installed metadata (a source checkout on the path), the key takes the imported
    module's version, and names stay what they are for the same versions."""
    import importlib.metadata

    import numba

    from fnx.lower.cpu import cache_keys

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    installed = cache_keys.versions()
    cache_keys.versions.cache_clear()
    monkeypatch.setattr(cache_keys.metadata, "version", missing)
    try:
        assert cache_keys.versions().split("|")[1] == numba.__version__
        assert cache_keys.versions() == installed  # here the metadata and the module agree
    finally:
        cache_keys.versions.cache_clear()
