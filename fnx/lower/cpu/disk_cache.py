"""The disk cache of compiled code: one private folder, every file in it checked before it is used.

Layout of the folder (``fnx.config.cache_dir``, created with mode 0700)::

    fnx_<key>.py                        a generated module; <key> hashes its source, the kernel files and
                                        fnx's and Numba's versions
    fnx_<key>.<function>-<line>.py311.nbi / .<n>.nbc
                                        Numba's index and machine code for that module's functions, each
                                        with the kernels it calls by symbol (``kernel_calls``), which are
                                        loaded and checked before it is
    kernels_<fingerprint>/              Numba's index and machine code for fnx's own kernel modules

Trust: the folder must belong to this process's user and be writable by no one else; otherwise it is refused
(one ``CacheWarning`` naming FNX_CACHE_DIR) and everything compiles in memory. Each file read must also
belong to the user and be writable by no one else. A module's ``.py`` is executed from the source fnx just
generated, and only after the file was found to hold exactly that source (which is what its name promises);
a file that differs (edited, planted, truncated) is never executed: the entry is removed and rewritten. Numba's
files are written by fnx in a sealed form (a SHA-256 digest of the payload first) and unsealed before Numba
unpickles them, so a truncated or garbled ``.nbi``/``.nbc`` is removed and recompiled instead of crashing the
process. Any write that fails (a file in the folder's place, a read-only or full disk) refuses the folder for
the rest of the process, with one warning.

Hooks into Numba (installed when this module is imported, before any fnx kernel module): a cache locator,
tried before Numba's own, that claims only fnx's files (the generated modules and the fnx package's
``cache=True`` functions) and puts their caches here; and the factory of Numba's index/data file objects,
which gives sealed files to those caches only. Numba's caches of other code are untouched. And the names of
functions compiled in this process are made distinct from other processes' (``_distinct_function_names``),
so that cached programs compiled by different processes never share a symbol for different code.

Size: the folder is kept under ``fnx.config.cache_max_bytes`` by removing the least recently used entries
(a module with its Numba files, or a stale kernels folder), never one loaded in this process.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import linecache
import os
import pickle
import re
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
import types
import warnings

from numba.core import bytecode, caching

from ...config import config
from . import kernel_calls
from .cache_keys import module_name, versions

MEMORY = "<fnx: in memory>"  # the folder of modules and kernels compiled without a disk cache

_CPU = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = os.path.dirname(os.path.dirname(_CPU))  # fnx/
_SEAL = b"fnx sealed 1\n"
_TMP_PREFIX = ".fnx-tmp-"
_STALE_TMP_SECONDS = 3600  # a temporary file this old was left by a process that died while writing it
_MODULE = re.compile(r"fnx_[0-9a-f]{24}")
_KERNELS_DIR = re.compile(r"kernels_[0-9a-f]{16}")
_LEGACY = "__pycache__"  # where Numba kept the generated modules' caches before this module placed them
_NUMBA_FILES = caching.IndexDataCacheFile


class CacheWarning(UserWarning):
    """The disk cache could not be used, or an entry in it was damaged and has been compiled again."""


class _Damaged(Exception):
    """A cache file that must not be used; the message says why."""


_VERSIONS = versions()
_KERNELS = "kernels_" + hashlib.sha256(_VERSIONS.encode()).hexdigest()[:16]
_lock = threading.RLock()
_refused: set[str] = set()  # folders refused in this process (each warned about once)
_modules: dict[str, str] = {}  # generated module name -> its folder (or MEMORY), for each one loaded here
_sizes: dict[str, int] = {}  # folder -> bytes it held at the last scan, plus what this process wrote since
_our_paths: set[str] = {MEMORY}  # the folders fnx's locator gave Numba: their files are sealed


# -- the folder ------------------------------------------------------------------------------------------------

def folder() -> str | None:
    """The cache folder, ``fnx.config.cache_dir``, created (mode 0700) if missing; None when it cannot be used
    (empty, not a folder, not creatable, another user's, writable by others, or refused earlier in this
    process), after one ``CacheWarning`` naming FNX_CACHE_DIR."""
    path = config.cache_dir
    if path in _refused:
        return None
    if not path:
        _refuse(path, "it is empty")
        return None
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        _check_private(os.stat(path), path, stat.S_ISDIR)
    except (OSError, _Damaged) as e:
        _refuse(path, _reason(e))
        return None
    return path


def _check_private(st: os.stat_result, path: str, is_kind) -> None:
    """Raise ``_Damaged`` unless ``st`` is of the kind wanted, this user's, and writable by no one else."""
    if not is_kind(st.st_mode):
        raise _Damaged(f"{path} is not a {'folder' if is_kind is stat.S_ISDIR else 'regular file'}")
    if st.st_uid != os.geteuid():
        raise _Damaged(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        raise _Damaged(f"other users can write to {path} (mode {stat.S_IMODE(st.st_mode):o})")


def _reason(error: Exception) -> str:
    return str(error) if isinstance(error, _Damaged) else f"{error.strerror or error} ({type(error).__name__})"


def _refuse(path: str, reason: str) -> None:
    """Stop using ``path`` in this process, saying so once."""
    if path in _refused:
        return
    _refused.add(path)
    where = f"the cache folder {path!r}" if path else "the cache folder"
    warnings.warn(f"fnx: {where} (FNX_CACHE_DIR, fnx.config.cache_dir) cannot be used: {reason}. fnx compiles "
                  f"in memory instead, and nothing is cached between processes.", CacheWarning, stacklevel=3)


def _usable(path: str) -> bool:
    return path != MEMORY and _root(path) not in _refused


def _root(path: str) -> str:
    """The cache folder a path in it belongs to."""
    return os.path.dirname(path) if _KERNELS_DIR.fullmatch(os.path.basename(path)) else path


# -- files -----------------------------------------------------------------------------------------------------

def _write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0600) so that readers see the old file or the new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=_TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _read_private(path: str) -> bytes | None:
    """The bytes of ``path``, None if it does not exist; ``_Damaged`` if it is not this user's private file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _Damaged(f"{path} cannot be read: {_reason(e)}") from e
    with os.fdopen(fd, "rb") as f:
        _check_private(os.fstat(f.fileno()), path, stat.S_ISREG)
        return f.read()


def _seal(payload: bytes) -> bytes:
    return _SEAL + hashlib.sha256(payload).digest() + payload


def _unseal(data: bytes, path: str) -> bytes:
    head = len(_SEAL) + 32
    if not data.startswith(_SEAL) or hashlib.sha256(data[head:]).digest() != data[len(_SEAL):head]:
        raise _Damaged(f"{path} is truncated or garbled (its checksum does not match)")
    return data[head:]


def _touch(path: str) -> None:
    """Record a use of ``path`` (its modification time), which eviction goes by."""
    try:
        os.utime(path)
    except OSError:  # evicted meanwhile by another process
        pass


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:  # already gone (another process), or never written
        pass


def _warn_damaged(path: str, reason: str) -> None:
    warnings.warn(f"fnx: a damaged entry in the cache folder {os.path.dirname(path)!r} was removed and is "
                  f"compiled again: {reason}", CacheWarning, stacklevel=3)


# -- generated modules -----------------------------------------------------------------------------------------

def load_module(source: str) -> types.ModuleType:
    """The generated module ``source``, registered in ``sys.modules`` under ``module_name(source)``.

    Its file is written to the cache folder if missing (or rewritten if it does not hold exactly ``source``,
    with a ``CacheWarning``), and the module is executed from ``source`` itself, never from the file. Its
    ``cache=True`` functions keep their machine code beside it; without a usable folder they are compiled in
    memory. Example: ``load_module("import numba\\n@numba.njit(cache=True)\\ndef f(x):\\n    return x + 1\\n").f(1)``.
    """
    name = module_name(source)
    with _lock:
        module = sys.modules.get(name)
        if module is not None:
            return module
        where = folder()
        if where is not None and not _store(where, name, source):
            where = None
        return _execute(name, source, where or MEMORY)


def _store(where: str, name: str, source: str) -> bool:
    """Make ``<where>/<name>.py`` hold ``source``; False (the folder refused) if it cannot be written."""
    path = os.path.join(where, name + ".py")
    data = source.encode()
    try:
        found = _read_private(path)
    except _Damaged as e:
        found, reason = b"", str(e)
    else:
        reason = f"{path} does not hold the source its name stands for (edited, planted or truncated)"
    if found == data:
        _touch(path)
        return True
    if found is not None:
        _warn_damaged(path, reason)
        _remove_entry(where, name)
    try:
        _write_atomically(path, data)
    except OSError as e:
        _refuse(where, f"writing {path} failed: {_reason(e)}")
        return False
    _wrote(where, len(data))
    return True


def _execute(name: str, source: str, where: str) -> types.ModuleType:
    path = os.path.join(where, name + ".py")
    module = types.ModuleType(name)
    module.__file__ = path
    if where == MEMORY:  # so that Numba and tracebacks find the source lines
        linecache.cache[path] = (len(source), None, source.splitlines(True), path)
    _modules[name] = where
    sys.modules[name] = module
    try:
        exec(compile(source, path, "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name], _modules[name]
        raise
    return module


# -- Numba's files ---------------------------------------------------------------------------------------------

class _Locator(caching._CacheLocator):
    """Where Numba caches one of fnx's functions: beside its generated module, or in the kernels folder."""

    def __init__(self, path: str, stamp: str, lineno: int):
        self._path, self._stamp, self._lineno = path, stamp, lineno

    @classmethod
    def from_function(cls, py_func, py_file: str):
        """A locator for fnx's own functions; None (Numba's locators decide) for everything else."""
        where = _modules.get(getattr(py_func, "__module__", None))
        if where is not None:
            stamp = py_func.__module__
        elif os.path.abspath(py_file).startswith(_PACKAGE + os.sep):
            where, stamp = _kernels_folder(config.cache_dir), _file_hash(py_file)
        else:
            return None
        _our_paths.add(where)
        return cls(where, stamp, py_func.__code__.co_firstlineno)

    def ensure_cache_path(self) -> None:
        if not _usable(self._path):
            return
        try:
            os.makedirs(self._path, mode=0o700, exist_ok=True)
        except OSError as e:
            _refuse(_root(self._path), f"creating {self._path} failed: {_reason(e)}")

    def get_cache_path(self) -> str:
        return self._path

    def get_source_stamp(self) -> str:
        return self._stamp

    def get_disambiguator(self) -> str:
        return str(self._lineno)


@functools.lru_cache(maxsize=None)
def _kernels_folder(cache_dir: str) -> str:
    """The folder of the kernel modules' Numba caches in ``cache_dir`` (MEMORY if that cannot be used)."""
    where = folder()
    if where is None:
        return MEMORY
    path = os.path.join(where, _KERNELS)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as e:
        _refuse(where, f"creating {path} failed: {_reason(e)}")
        return MEMORY
    _touch(path)
    return path


@functools.lru_cache(maxsize=None)
def _file_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class _SealedFiles(_NUMBA_FILES):
    """Numba's index and data files of one fnx function, sealed with a digest and checked before use."""

    def _load_index(self) -> dict:
        found = self._load(self._index_path)
        if found is None:
            return {}
        version, stamp, overloads = found
        return overloads if (version, stamp) == (self._version, self._source_stamp) else {}

    def _save_index(self, overloads: dict) -> None:
        self._save(self._index_path, (self._version, self._source_stamp, overloads))

    def _load_data(self, name: str):
        """The compiled function saved as ``name``, once the kernels its machine code calls by symbol are
        loaded here under the symbols it was compiled against (``kernel_calls``); None (compile it again) if
        it is missing, damaged, or one of those symbols differs."""
        path = self._data_path(name)
        found = self._load(path)
        if found is None:
            return None
        data, calls = found
        try:
            kernel_calls.resolve(calls)
        except Exception as e:  # noqa: BLE001  (a kernel that differs or fails: the module is compiled again)
            warnings.warn(f"fnx: a module in the cache folder {self._cache_path!r} is compiled again instead of "
                          f"loaded: {e}", CacheWarning, stacklevel=2)
            _remove(path)
            return None
        return data

    def _save_data(self, name: str, data) -> None:
        """Save the compiled function ``data`` (Numba's reduced ``CompileResult``) as ``name``, with the record of
        the kernels it calls by symbol."""
        self._save(self._data_path(name), (data, kernel_calls.record(data[1].mangled_name)))

    def _load(self, path: str):
        """The object pickled in ``path``; None if it is missing or damaged (then removed, with a warning)."""
        if not _usable(self._cache_path):
            return None
        try:
            data = _read_private(path)
            return None if data is None else pickle.loads(_unseal(data, path))
        except Exception as e:  # noqa: BLE001  (whatever is wrong with the file, it is recompiled)
            _warn_damaged(path, str(e) if isinstance(e, _Damaged) else f"{path} cannot be loaded: {e!r}")
            _remove(path)
            return None

    def _save(self, path: str, obj) -> None:
        if not _usable(self._cache_path):
            return
        data = _seal(self._dump(obj))
        try:
            _write_atomically(path, data)
        except OSError as e:
            _refuse(_root(self._cache_path), f"writing {path} failed: {_reason(e)}")
            return
        _wrote(_root(self._cache_path), len(data))


def _index_data_file(cache_path: str, filename_base: str, source_stamp):
    """Numba's factory of index/data file objects: sealed ones for the folders fnx's locator gave out."""
    kind = _SealedFiles if cache_path in _our_paths else _NUMBA_FILES
    return kind(cache_path=cache_path, filename_base=filename_base, source_stamp=source_stamp)


# -- size ------------------------------------------------------------------------------------------------------

def _wrote(where: str, nbytes: int) -> None:
    """Count ``nbytes`` written to the folder ``where``; past ``fnx.config.cache_max_bytes`` (or at the first
    write of this process), scan the folder and evict down to 90% of the cap, so that the next writes need no
    scan."""
    cap = config.cache_max_bytes
    with _lock:
        size = _sizes.get(where)
        if size is not None and size + nbytes <= cap:
            _sizes[where] = size + nbytes
            return
        try:
            _sizes[where] = evict(where, cap, below=cap * 9 // 10)
        except OSError:  # the folder went away: the next write says so
            _sizes.pop(where, None)


def evict(where: str, max_bytes: int, below: int | None = None) -> int:
    """If the cache folder ``where`` holds more than ``max_bytes``, remove its least recently used entries
    until it holds at most ``below`` (default ``max_bytes``); returns the bytes left. Entries loaded in this
    process stay. Only fnx's own files are counted or removed."""
    in_use = (_modules.keys() & sys.modules.keys()) | {_KERNELS}
    entries = _entries(where)
    total = sum(size for _, size in entries.values())
    if total <= max_bytes:
        return total
    for name, (_, size) in sorted(entries.items(), key=lambda item: item[1][0]):
        if total <= (max_bytes if below is None else below):
            break
        if name not in in_use:
            _remove_entry(where, name)
            total -= size
    return total


def _entries(where: str) -> dict[str, tuple[float, int]]:
    """name -> (last use, bytes) for each entry of the folder: a module with its Numba files, a kernels
    folder, the ``__pycache__`` folder of Numba files fnx wrote before it sealed them, a temporary file left
    by a process that died."""
    entries: dict[str, tuple[float, int]] = {}
    now = time.time()
    for item in os.scandir(where):
        try:
            st = item.stat(follow_symlinks=False)
            name = item.name.split(".")[0]
            if _MODULE.fullmatch(name):
                last_use, size = entries.get(name, (0.0, 0))
                entries[name] = (max(last_use, st.st_mtime), size + st.st_size)
            elif (_KERNELS_DIR.fullmatch(item.name) or item.name == _LEGACY) and stat.S_ISDIR(st.st_mode):
                size = sum(f.stat(follow_symlinks=False).st_size for f in os.scandir(item.path))
                entries[item.name] = (st.st_mtime, size)
            elif item.name.startswith(_TMP_PREFIX) and now - st.st_mtime > _STALE_TMP_SECONDS:
                entries[item.name] = (st.st_mtime, st.st_size)
        except OSError:  # removed meanwhile by another process
            continue
    return entries


def _remove_entry(where: str, name: str) -> None:
    """Remove the entry ``name`` from the folder: the module first (so that no process loads it any more),
    then its Numba files; or a folder; or a temporary file."""
    path = os.path.join(where, name)
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
        return
    _remove(path + ".py")
    for item in os.scandir(where):
        if item.name == name or item.name.startswith(name + "."):
            _remove(item.path)


def _distinct_function_names() -> None:
    """Start Numba's counter of function names at a random offset in this process (once).

    Numba names a compiled function ``<qualname>$<n>``, n from a counter that starts at 1 in every process,
    and links a function into its callers' code as a weak symbol (``linkonce_odr``), so the first definition
    loaded wins. Two cached programs compiled by different processes can then hold one name for different
    code: the closures a factory makes (vecmath's scalar wrappers), parallel loops' gufuncs. Loaded into one
    process, the second program calls the first one's function and computes a wrong result (a cached
    ``cos(x)`` returned ``tanh(x)``). With a random 60-bit start, two processes' names do not meet.
    """
    identity = bytecode.FunctionIdentity
    if not getattr(identity, "_fnx_distinct", False):
        identity._unique_ids = itertools.count(secrets.randbits(60) + 1)
        identity._fnx_distinct = True


def _install() -> None:
    """Put fnx's locator before Numba's and its factory of index/data files in Numba's place, and make the
    names of functions compiled in this process distinct from other processes' (once)."""
    if _Locator not in caching.CacheImpl._locator_classes:
        caching.CacheImpl._locator_classes.insert(0, _Locator)
    caching.IndexDataCacheFile = _index_data_file
    _distinct_function_names()


_install()
