"""How long `glimmer run` takes to stop on SIGTERM mid-session: `python -m bench.bench_stop`.

Each run starts a mosquitto on a free port and `glimmer run` in its own process with the simulator's hardware
in place of the Pi's (at 10 times real time, so a session is pacing within seconds), a household store with
one person, MQTT to that broker, and $NOTIFY_SOCKET a datagram socket. When systemd's STATUS says the
session is pacing (and 5 s more), SIGTERM; timed until the process has exited (session stored, ring dark,
sound faded, `offline` published and acknowledged). The simulator writes the sound's 0.5 s fade to its
file at once; a speaker plays it in real time, so add AUDIO_FADE_S for the device. Prints min/median/max
over `--runs` runs (>= 3).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from device.app import AUDIO_FADE_S
from tests.device.home.broker import Mosquitto
from tests.device.test_run_as_service import RUNNER
from tests.device.test_service import NotifySocket

ROOT = Path(__file__).resolve().parents[1]


def one_run() -> float:
    """Seconds from SIGTERM to the process's exit."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        broker = Mosquitto(tmp / "broker")
        broker.workdir.mkdir()
        broker.start()
        notify = NotifySocket()
        try:
            config = tmp / "config.toml"
            config.write_text(f'[store]\npath = "{tmp / "glimmer.db"}"\n[night]\nenabled = false\n'
                              f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\n')
            env = {**os.environ, "NOTIFY_SOCKET": notify.address, "PYTHONPATH": str(ROOT),
                   "XDG_STATE_HOME": str(tmp / "state")}
            subprocess.run([sys.executable, "-m", "device.cli", "-c", str(config), "users", "add", "Ann"],
                           env=env, check=True, capture_output=True)
            log = (tmp / "stderr").open("w")
            proc = subprocess.Popen([sys.executable, "-c", RUNNER, "-c", str(config), "run"],
                                    stdout=subprocess.DEVNULL, stderr=log, env=env)
            try:
                deadline = time.monotonic() + 120.0
                pacing_at = None
                while pacing_at is None or time.monotonic() < pacing_at + 5.0:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the session did not start pacing")
                    for m in notify.take():
                        if pacing_at is None and m.get("STATUS", "").startswith("session pacing"):
                            pacing_at = time.monotonic()
                    time.sleep(0.01)
                sent = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                try:
                    code = proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGUSR1)  # the runner dumps every thread's stack
                    time.sleep(1.0)
                    raise RuntimeError("no exit 30 s after SIGTERM:\n" + (tmp / "stderr").read_text()[-3000:]) from None
                stopped_s = time.monotonic() - sent
            finally:
                if proc.poll() is None:
                    proc.kill()
                log.close()
            if code != 0:
                raise RuntimeError(f"glimmer run exited {code}")
            return stopped_s
        finally:
            notify.close()
            broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = sorted(one_run() for _ in range(max(args.runs, 3)))
    print(f"SIGTERM to exit, glimmer run mid-session ({len(times)} runs): min {times[0]:.3f} s, "
          f"median {statistics.median(times):.3f} s, max {times[-1]:.3f} s; with a speaker's "
          f"{AUDIO_FADE_S} s fade: max {times[-1] + AUDIO_FADE_S:.3f} s (budget 2 s)")


if __name__ == "__main__":
    main()
