"""The one error hierarchy of Glimmer. Catch narrowly; never swallow."""

from __future__ import annotations

from collections.abc import Sequence


class GlimmerError(Exception):
    """Base of every error Glimmer raises on purpose."""


class ConfigError(GlimmerError):
    """The configuration is invalid. Carries every problem found, each naming its key."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in self.problems))


class HardwareError(GlimmerError):
    """A piece of hardware is missing, wrong or stopped answering."""


class SensorError(HardwareError):
    """The pulse sensor failed."""


class SensorNotFound(SensorError):
    """No (or the wrong) chip answers at the configured bus and address."""


class SensorLost(SensorError):
    """The sensor stopped answering after it had been working (bus error, unplugged)."""


class OutputError(HardwareError):
    """An output (LED ring, speaker) could not be opened or written."""


class AudioUnavailable(OutputError):
    """No usable audio output device; the device carries on with light alone."""


class InputError(GlimmerError, ValueError):
    """Bad data handed to a pure function (wrong shape, rate out of range, non-finite values)."""


class DataError(GlimmerError):
    """Data a user or a file handed us is wrong: unknown person, duplicate name, a setting out of range.

    The command that met it changed nothing; `glimmer` exits 65 (EX_DATAERR).
    """


class StoreError(GlimmerError):
    """The household store (SQLite) cannot be used: locked, corrupt or from a newer Glimmer. Exit 65."""


class StoreNotWritable(StoreError):
    """The store's path cannot be written (read-only file or directory, missing directory). Exit 78:
    `store.path` in the config has to name a writable place."""


class StoreTooNew(StoreError):
    """The store was written by a newer Glimmer (a higher schema version than this one knows). It is
    refused untouched by every command that opens it, `glimmer run` included. Exit 65."""


class StoreInUse(StoreError):
    """Another glimmer device process (`run`, or `sim` recording) holds the store's lock: one device
    process per store (device/home/devicelock.py). Exit 75 (EX_TEMPFAIL): try again when it has stopped."""


class CommandRejected(GlimmerError):
    """An MQTT command was refused; `code` is the machine-readable reason sent back in the error reply."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)
