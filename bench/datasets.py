"""Loaders for the real PPG recordings in the shared data folder (never copied into the project).

The folder is a parameter everywhere; `data_dir()` gives the default: the environment variable
GLIMMER_DATA_DIR if set, else `../shared/data` relative to the project root. See the data folder's
README for the sources and licences (CapnoBase, BUT PPG, Welltory).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

DATA_DIR_ENV = "GLIMMER_DATA_DIR"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CAPNOBASE_FS_HZ = 300
WELLTORY_FS_HZ = 30.0  # the phone camera's nominal frame rate; its irregular frames are resampled to it


@dataclass(frozen=True)
class BeatRecord:
    """A PPG record with reference beat times (CapnoBase)."""

    name: str
    fs_hz: float
    ppg: NDArray[np.float64]
    ref_beats_s: NDArray[np.float64]


@dataclass(frozen=True)
class HrRecord:
    """A PPG record with a reference heart rate (BUT PPG: from ECG) or reference RR series (Welltory)."""

    name: str
    fs_hz: float
    ppg: NDArray[np.float64]
    ref_hr_bpm: float
    ref_rr_ms: NDArray[np.float64] | None = None


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: `explicit`, else $GLIMMER_DATA_DIR, else ../shared/data beside the project."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    return (PROJECT_ROOT.parent / "shared" / "data").resolve()


def capnobase_names(root: Path) -> list[str]:
    """Record names listed in capnobase/manifest.csv (empty when the folder is absent)."""
    manifest = root / "capnobase" / "manifest.csv"
    if not manifest.is_file():
        return []
    with manifest.open(newline="") as fh:
        return [row["record"] for row in csv.DictReader(fh)]


def load_capnobase(root: Path, fs_hz: int, names: list[str] | None = None) -> list[BeatRecord]:
    """CapnoBase records resampled (anti-aliased polyphase, scipy resample_poly) from 300 Hz to `fs_hz`.

    resample_poly keeps sample 0 at t = 0, so reference times stay aligned at any rate.
    """
    folder = root / "capnobase"
    g = gcd(int(fs_hz), CAPNOBASE_FS_HZ)
    up, down = int(fs_hz) // g, CAPNOBASE_FS_HZ // g
    records = []
    for name in names if names is not None else capnobase_names(root):
        raw = np.loadtxt(folder / f"{name}_ppg.csv.gz", skiprows=2)
        ppg = raw if up == down else resample_poly(raw, up, down)
        beats = np.loadtxt(folder / f"{name}_beats.csv", skiprows=1, ndmin=1)
        records.append(BeatRecord(name, float(fs_hz), np.asarray(ppg, dtype=float), beats))
    return records


def load_but_ppg(root: Path, good_only: bool = True) -> list[HrRecord]:
    """BUT PPG smartphone records (10 s, 30 Hz) with the ECG heart rate; good-quality ones by default."""
    folder = root / "but_ppg"
    if not (folder / "ref.csv").is_file():
        return []
    refs: dict[str, tuple[float, bool, float]] = {}
    with (folder / "ref.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            refs[row["id"]] = (float(row["fs_hz"]), row["quality_good"] == "1", float(row["ref_hr_bpm"]))
    samples: dict[str, list[float]] = {}
    with (folder / "signals.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            samples.setdefault(row["id"], []).append(float(row["ppg"]))
    records = []
    for rec_id, values in samples.items():
        if rec_id not in refs:
            continue
        fs_hz, good, hr_bpm = refs[rec_id]
        if good or not good_only:
            records.append(HrRecord(rec_id, fs_hz, np.asarray(values), hr_bpm))
    return records


def load_welltory(root: Path, fs_hz: float = WELLTORY_FS_HZ) -> list[HrRecord]:
    """Welltory phone-camera records: negated red channel, irregular frames linearly resampled to `fs_hz`.

    The reference is the Polar H10 RR sequence (not time-aligned to the video): mean HR = 60000 / mean RR.
    """
    folder = root / "welltory"
    records = []
    for ppg_path in sorted(folder.glob("subject_*_ppg.csv")):
        table = np.loadtxt(ppg_path, delimiter=",", skiprows=1, ndmin=2)
        t_s, red = table[:, 0] / 1000.0, table[:, 1]
        keep = np.concatenate([[True], np.diff(t_s) > 0])  # drop repeated time stamps
        t_s, red = t_s[keep], red[keep]
        grid_s = np.arange(0.0, t_s[-1], 1.0 / fs_hz)
        ppg = -np.interp(grid_s, t_s, red)
        rr_ms = np.loadtxt(ppg_path.with_name(ppg_path.name.replace("_ppg", "_rr")), delimiter=",",
                           skiprows=1, ndmin=2)[:, 1]
        name = ppg_path.name.removesuffix("_ppg.csv")
        records.append(HrRecord(name, fs_hz, ppg, 60000.0 / float(np.mean(rr_ms)), rr_ms))
    return records
