"""SPI writes that take the line's time: a writer thread, so the main loop never waits on the wire.

A paced LED write (`SpiLedRing.show_paced`) holds several frames spaced by the SPI clock itself: five
frames at 50 frames/s are about 81 ms on the line. spidev's `writebytes2` blocks until the bytes are
out (it releases the GIL meanwhile), so the main loop hands each write to `ThreadedSpiWriter`, which
returns at once and writes from its own thread, one write after the other, in order.

Hand-over: one write may wait while another is on the line. A write handed over while one is already
waiting replaces it (it is newer: what the ring should show later); `superseded` counts those, which only
happens when the thread falls a whole write behind. A write's failure (OSError, the device gone) is kept
and raised to the caller at its next `writebytes2` or at `close`, where drivers/spi_recovery.py handles it
as it handles a failing direct write.

`spidev_block_bytes()` is the size spidev sends a long write in (the kernel's `spidev.bufsiz`, read
as py-spidev reads it), so the ring can keep every frame inside one block.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Final

from drivers.led_ring import SpiWriter

log = logging.getLogger(__name__)

BUFSIZ_FILE: Final = Path("/sys/module/spidev/parameters/bufsiz")
DEFAULT_BLOCK_BYTES: Final = 4096  # spidev's default bufsiz, and py-spidev's when it cannot read it
MAX_BLOCK_BYTES: Final = 65535  # py-spidev never writes more than this at once
CLOSE_WAIT_S: Final = 2.0  # close() waits this long at most for the write on the line


def spidev_block_bytes(path: Path = BUFSIZ_FILE) -> int:
    """The bytes per block spidev sends a long write in: the kernel's bufsiz (capped as py-spidev caps
    it), or its default when it cannot be read."""
    try:
        value = int(path.read_text().strip())
    except (OSError, ValueError):
        return DEFAULT_BLOCK_BYTES
    return min(value, MAX_BLOCK_BYTES) if value > 0 else DEFAULT_BLOCK_BYTES


class ThreadedSpiWriter:
    """An SpiWriter whose writes return at once and go out from a thread, in order (see the module)."""

    def __init__(self, inner: SpiWriter, name: str = "spi-writer") -> None:
        self._inner = inner
        self._cond = threading.Condition()
        self._waiting: bytes | None = None
        self._busy = False
        self._error: OSError | None = None
        self._closing = False
        self.superseded = 0
        self.writes = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def writebytes2(self, data: bytes | list[int]) -> None:
        """Queue `data` for the line; raises the OSError a previous write met (once)."""
        payload = bytes(data)
        with self._cond:
            self._raise_kept()
            if self._closing:
                raise OSError("the SPI writer is closed")
            if self._waiting is not None:
                self.superseded += 1
                log.debug("an SPI write waited a whole write; the newer one replaces it")
            self._waiting = payload
            self._cond.notify()

    def flush(self, timeout_s: float = CLOSE_WAIT_S) -> bool:
        """Wait until every queued write is on the line and done; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting is None and not self._busy, timeout_s)

    def close(self) -> None:
        """Let the queued write go out (up to CLOSE_WAIT_S), stop the thread, close the device; raises a
        write's kept OSError after closing."""
        self.flush()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(CLOSE_WAIT_S)
        self._inner.close()
        with self._cond:
            self._raise_kept()

    def _raise_kept(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting is not None or self._closing)
                if self._waiting is None:
                    return
                payload, self._waiting, self._busy = self._waiting, None, True
            try:
                self._inner.writebytes2(payload)  # blocks while the bytes are on the line
            except OSError as exc:
                with self._cond:
                    self._error = exc
            finally:
                with self._cond:
                    self._busy = False
                    self.writes += 1
                    self._cond.notify_all()
