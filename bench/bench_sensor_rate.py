"""What the sensor's sample rate costs the beats, through the whole daemon against the simulated person.

Run from the project root::

    python -m bench.bench_sensor_rate [--seeds 8] [--first-seed 300] [--minutes 6] [--jobs 2]

For each seed (a different simulated person, `sim/person.py`) and each setting, `(samples/s, read period
ms)` = (100, 200) and (50, 400) (`sensor.sample_rate_hz`, `sensor.read_period_ms`; the chip's ADC runs at
400 conversions/s either way and averages 4 or 8 of them into a sample), the daemon runs `--minutes` of
simulated time on the fast clock (finger on, settling, pacing) and every beat it gives is compared with the
simulated heart's true beats (known exactly):

- F1 of the beats, matched one-to-one within 150 ms of a true beat (missed and extra beats both count);
- timing jitter, ms: the standard deviation of (beat time - its true beat's time) over matched beats, the
  optics' constant pulse delay taken out (its median); this is what RMSSD's error comes from;
- RMSSD error, ms: |published RMSSD - true RMSSD| for each metrics payload that gives RMSSD, the true one
  from the true beats of the 60 s up to the payload's newest beat (`t_s - beat_age_s`) through the same
  HRV code (`device.signal.hrv.hrv_metrics`, whose correction takes the simulated heart's own ectopic
  beats out), so the error is the sensing path's alone; and the share of payloads that give RMSSD;
- HR error, beats/min, likewise.

Every figure is deterministic for its seed (the simulator and the daemon use no wall-clock time), so one
pass is the measurement. Seeds 300 and up were not used to choose anything.
"""

from __future__ import annotations

import argparse
import math
from concurrent.futures import ProcessPoolExecutor
from statistics import median
from typing import Any

import numpy as np

SETTINGS = ((100, 200), (50, 400))
MATCH_S = 0.150  # a device beat within this of a true beat is that beat (as bench_pulse matches)
WINDOW_S = 60.0  # the HRV tracker's window (device/signal/hrv.py)


def run_one(job: tuple[int, int, int, float]) -> dict[str, Any]:
    """One seed at one setting: the daemon in the simulator; returns its figures (see the module)."""
    from device.app import build_device
    from device.config import load_config
    from device.publish import RecordingPublisher
    from sim.world import build_sim_world

    rate, read_ms, seed, minutes = job
    config = load_config(overrides={"sensor": {"sample_rate_hz": rate, "read_period_ms": read_ms},
                                    "sim": {"seed": seed}})
    world = build_sim_world(config, wav_path=None)
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    seen: list[float] = []
    channel = glimmer.channel_a
    add_beats = channel.hrv.add_beats

    def recording_add_beats(beats: Any) -> None:
        seen.extend(b.t_s for b in beats)
        add_beats(beats)

    channel.hrv.add_beats = recording_add_beats  # type: ignore[method-assign]
    glimmer.run(until_s=minutes * 60.0)
    glimmer.close()
    truth = np.asarray(world.person.beat_times_s(), dtype=float)
    beats = np.asarray(sorted(set(seen)), dtype=float)
    return {"rate": rate, "read_ms": read_ms, "seed": seed,
            **_beat_figures(beats, truth), **_payload_errors(recorder.metrics_payloads, truth)}


def _beat_figures(beats: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    truth = truth[(truth >= beats[0] - MATCH_S) & (truth <= beats[-1] + MATCH_S)] if len(beats) else truth[:0]
    used = np.zeros(len(truth), dtype=bool)
    offsets = []
    for t in beats:  # greedy one-to-one matching, nearest unused true beat within MATCH_S
        if not len(truth):
            break
        k = int(np.argmin(np.abs(truth - t)))
        if abs(truth[k] - t) <= MATCH_S and not used[k]:
            used[k] = True
            offsets.append(t - truth[k])
    hits = len(offsets)
    f1 = 2.0 * hits / (len(beats) + len(truth)) if len(beats) + len(truth) else math.nan
    jitter_ms = 1000.0 * float(np.std(np.asarray(offsets) - np.median(offsets))) if hits > 2 else math.nan
    return {"beats": len(beats), "true_beats": len(truth), "f1": f1, "jitter_ms": jitter_ms}


def _payload_errors(payloads: list[dict[str, Any]], truth: np.ndarray) -> dict[str, float]:
    from device.signal.hrv import hrv_metrics

    rmssd_err, hr_err = [], []
    for p in payloads:
        if p.get("t_s") is None or p.get("beat_age_s") is None:
            continue
        end_s = p["t_s"] - p["beat_age_s"] + MATCH_S  # the window ends at the newest beat
        window = truth[(truth > end_s - WINDOW_S) & (truth <= end_s)]
        if len(window) < 10:
            continue
        if p.get("rmssd_ms") is not None:
            true_rmssd = hrv_metrics(window).rmssd_ms
            if true_rmssd is not None:
                rmssd_err.append(abs(p["rmssd_ms"] - true_rmssd))
        if p.get("hr_bpm") is not None:
            hr_err.append(abs(p["hr_bpm"] - 60.0 / float(np.median(np.diff(window)))))
    return {"rmssd_err_ms": float(np.mean(rmssd_err)) if rmssd_err else math.nan,
            "hr_err_bpm": float(np.mean(hr_err)) if hr_err else math.nan,
            "payloads_with_rmssd": len(rmssd_err), "payloads": len(payloads)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    jobs = [(rate, read_ms, seed, args.minutes) for seed in range(args.first_seed, args.first_seed + args.seeds)
            for rate, read_ms in SETTINGS]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run_one, jobs))
    for r in results:
        r["rmssd_shown"] = r["payloads_with_rmssd"] / max(r["payloads"], 1)
    columns = ("f1", "jitter_ms", "rmssd_err_ms", "rmssd_shown", "hr_err_bpm")
    print(f"{'setting':>18} " + " ".join(f"{c + ' min/med/max':>28}" for c in columns) + "  beats / true")
    for rate, read_ms in SETTINGS:
        rows = [r for r in results if (r["rate"], r["read_ms"]) == (rate, read_ms)]
        cells = []
        for c in columns:
            values = [r[c] for r in rows if not math.isnan(r[c])]
            cells.append(f"{min(values):8.4g} {median(values):8.4g} {max(values):8.4g}" if values else "-")
        counts = f"{sum(r['beats'] for r in rows)} / {sum(r['true_beats'] for r in rows)}"
        print(f"{f'{rate}/s, {read_ms} ms':>18} " + " ".join(f"{c:>28}" for c in cells) + f"  {counts}")
    for r in results:
        print(f"  seed {r['seed']} {r['rate']}/s: f1 {r['f1']:.4f} jitter {r['jitter_ms']:.2f} ms "
              f"rmssd err {r['rmssd_err_ms']:.2f} ms hr err {r['hr_err_bpm']:.2f} bpm "
              f"({r['payloads_with_rmssd']} of {r['payloads']} payloads with RMSSD)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
