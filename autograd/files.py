"""Files written whole or not at all, for every writer in deltagrad (pictures,
models, plots).

`write_atomically` writes a temporary file beside the file it replaces, flushes
it to disk, then renames it over (`os.replace`): a reader, or a crash, finds the
old file or the new one, never half of one. Three choices, and why:

- Mode. A new file gets the mode any program's new file gets there: the
  temporary file is opened with mode 0o666 and the kernel takes off the umask
  (or applies the directory's default ACL). Nothing reads the umask by setting
  it: `os.umask(0)` and back would leave every thread of the process at umask 0
  for that moment, so a file another thread (a Jupyter kernel runs several)
  made then would be world-writable. Reading `Umask:` in /proc/self/status would
  be safe too, but only on Linux 4.7+, and it would need this way as a fallback
  anyway; the kernel's own answer is one way everywhere. A replaced file keeps
  its mode.
- Symlinks. Saving over `model.json -> runs/42/model.json` writes the target and
  leaves the link, as editors and git do. The chain of links is followed, a
  relative link from its own directory; a dangling link creates its target. The
  temporary file goes in the target's directory: a rename stays on one file
  system and must land on the target.
- Failure. The temporary file is made before `produce` runs, so a place that
  cannot be written fails before any work; on any error it is removed and the
  old file is untouched. `check_writable` makes the same test without writing,
  for a program that has long work to do before it writes (training).

`PICTURE_FORMATS` is the one list of picture formats that every picture writer
accepts (graphs and plots alike); `picture_format` reads one from a path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

# Extension -> format name: what both Graphviz (`autograd.render`) and matplotlib (`nn.plot`) write.
PICTURE_FORMATS: dict[str, str] = {".svg": "svg", ".png": "png", ".pdf": "pdf"}

_MAX_LINKS = 40  # links followed before giving up, as Linux does (ELOOP)
_NAME_ATTEMPTS = 100  # random temporary names tried; a clash is already a 1 in 2**32 chance


def write_atomically(path: str | os.PathLike[str], produce: Callable[[], bytes], who: str) -> Path:
    """Writes `produce()` to `path`, or to the file at the end of `path`'s
    symlinks, whole or not at all (see the module's docstring). `who` (the
    caller's name) starts the message of an OSError. Returns `path`."""
    path = target = _non_empty(path, who)
    try:
        target = _follow_links(path)
        mode = _mode_to_keep(target)
        fd, tmp = _create_temporary(target, 0o666 if mode is None else mode & 0o777)
    except OSError as err:
        raise _cannot_write(err, who, path, target) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.chmod(tmp, mode)  # the umask took bits off the replaced file's mode: put them back
            f.write(produce())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.replace(tmp, target)
        except OSError as err:
            raise _cannot_write(err, who, path, target) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def check_writable(path: str | os.PathLike[str], who: str) -> Path:
    """Raises now the OSError that `write_atomically(path, ...)` would raise for
    the place itself (a missing or read-only folder, a folder in the file's
    place), by making and removing the same temporary file; writes nothing
    else. Returns `path`."""
    path = target = _non_empty(path, who)
    try:
        target = _follow_links(path)
        _mode_to_keep(target)
        fd, tmp = _create_temporary(target, 0o600)
    except OSError as err:
        raise _cannot_write(err, who, path, target) from None
    os.close(fd)
    os.unlink(tmp)
    return path


def picture_format(path: str | os.PathLike[str], who: str, formats: dict[str, str] = PICTURE_FORMATS) -> str:
    """The format named by `path`'s extension, one of `formats` (by default
    `PICTURE_FORMATS`; a writer may add its own, as `autograd.viz.GRAPH_FORMATS`
    adds Graphviz's `.dot`), or a ValueError naming the path and the extensions
    accepted."""
    suffix = _non_empty(path, who).suffix
    try:
        return formats[suffix.lower()]
    except KeyError:
        raise ValueError(f"{who}: unknown extension {suffix!r} in {os.fspath(path)!r}; "
                         f"use one of {', '.join(formats)}") from None


def _non_empty(path: str | os.PathLike[str], who: str) -> Path:
    """`path` as a Path; an empty one is a ValueError that says so (Path("") is
    the current folder, and writing over it fails with a puzzling 'busy')."""
    if os.fspath(path) == "":
        raise ValueError(f"{who}: the path is empty; give a file name")
    return Path(path)


def _follow_links(path: Path) -> Path:
    """The file that a write to `path` changes: `path`, or the end of its chain of
    symlinks, which need not exist yet."""
    for _ in range(_MAX_LINKS):
        if not path.is_symlink():
            return path
        # A relative link is relative to the link's directory; an absolute one replaces the path.
        # No normalising of "..": the kernel resolves it against the real directories.
        path = path.parent / os.readlink(path)
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))


def _mode_to_keep(target: Path) -> int | None:
    """The permission bits of the file being replaced, or None for a new file."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    return stat.S_IMODE(st.st_mode)


def _create_temporary(target: Path, mode: int) -> tuple[int, Path]:
    """A new empty file `.<name>.<random>.part` beside `target`, open for writing,
    created with `mode` less the umask (the kernel takes it off)."""
    for _ in range(_NAME_ATTEMPTS):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.part"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"{_NAME_ATTEMPTS} temporary names beside it were all taken")


def _cannot_write(err: OSError, who: str, path: Path, target: Path) -> OSError:
    """The same kind of OSError, its message naming the writer, the path and,
    for a link, the file it leads to."""
    where = str(path) if target == path else f"{path} (a link to {target})"
    return type(err)(err.errno, f"{who}: cannot write {where}: {err.strerror or err}")
