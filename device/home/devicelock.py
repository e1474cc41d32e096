"""One device process per store: the process that records sessions holds an exclusive advisory lock.

Two device processes on one store (two `glimmer sim --user`, or a sim beside `glimmer run`) would each
mark the other's live session interrupted at start and record overlapping sessions. So the process
that attaches a recorder (device/home/household.py) takes `flock(LOCK_EX | LOCK_NB)` on
`<store>.lock` next to the database and holds it until the store is closed or the process ends (the
kernel releases it on any exit, kill -9 included, so a stale file never blocks). The file holds the
holder's pid, for the message only. `users`, `history` and `report` do not take it.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from device.errors import StoreInUse, StoreNotWritable

log = logging.getLogger(__name__)


def lock_path(db_path: Path) -> Path:
    """`<db>.lock` beside the database the path leads to: a symlink or another spelling of the same
    file gives the same lock."""
    real = db_path.resolve()
    return real.with_name(real.name + ".lock")


def device_holding(db_path: Path) -> str | None:
    """The pid (as text) of the device process holding `db_path`'s lock, or None when none does. Takes
    and drops the lock at once when it is free; never creates the lock file."""
    try:
        fd = os.open(lock_path(db_path), os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None  # no lock file: no device has ever run on this store here
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
    finally:
        os.close(fd)  # closing drops a lock taken here
    return None


class DeviceLock:
    """The held lock on `<db>.lock`. Raises StoreInUse (naming the holder's pid) when another open file
    description holds it (another process, or another lock in this one); StoreNotWritable when the lock
    file cannot be made."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreNotWritable(f"the store's lock file {self.path} cannot be made ({exc.strerror or exc}); "
                                   "set store.path to a writable place") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StoreInUse(f"the store {db_path} is in use by another glimmer device process (pid {holder}); "
                             "stop it first, or give this one another store (--store or store.path)") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd: int | None = fd
        log.debug("holding %s", self.path)

    def release(self) -> None:
        """Let the lock go (idempotent); the process ending does the same."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
