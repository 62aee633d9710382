"""Files written whole or not at all, for every writer in deltagrad (pictures,
models, plots)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], produce: Callable[[], bytes], who: str) -> Path:
    """Writes `produce()` to a temporary file in `path`'s directory, flushed to
    disk, then renames it over `path` (`os.replace`): a crash leaves the old file
    or the new one, never half of one. The temporary file is created before
    `produce` runs, so an unwritable path fails before any work; on any error it
    is removed. `who` (the caller's name) starts the message of an OSError."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as err:
        raise _cannot_write(err, who, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(produce())
            f.flush()
            os.fsync(f.fileno())
        # mkstemp's file is private (0600): keep the mode of the file replaced, else the usual one.
        os.chmod(tmp, os.stat(path).st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        try:
            os.replace(tmp, path)
        except OSError as err:
            raise _cannot_write(err, who, path) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _cannot_write(err: OSError, who: str, path: Path) -> OSError:
    """The same kind of OSError, its message naming the writer and the path."""
    return type(err)(err.errno, f"{who}: cannot write {path}: {err.strerror or err}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
