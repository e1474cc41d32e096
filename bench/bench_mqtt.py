"""MQTT publish latency and throughput through the outbox to a real mosquitto: `python -m bench.bench_mqtt`.

Each run starts its own mosquitto on a free port (needs the `mosquitto` binary), builds the device's MQTT
link (SQLite outbox on disk, QoS 1) and a separate subscriber, then:
- latency: `--paced` metrics payloads, one every 10 ms, each timed from the call that hands it to the link
  (when the device has measured it) to its arrival at the subscriber; median and 95th percentile, ms;
- throughput: `--burst` payloads handed over at once; messages per second from the first hand-over to the
  last arrival (SQLite commit per message, PUBACK before a message leaves the outbox).
Prints min/median/max over `--runs` runs (>= 3).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from device.config import load_config
from device.home.mqtt import build_mqtt_link
from tests.device.home.broker import Mosquitto, Subscriber


def one_run(paced: int, burst: int) -> tuple[float, float, float]:
    """(median latency ms, p95 latency ms, messages per second)."""
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp) / "broker")
        broker.workdir.mkdir()
        broker.start()
        try:
            config = load_config(overrides={"mqtt": {"host": "127.0.0.1", "port": broker.port, "discovery": False,
                                                     "outbox_path": str(Path(tmp) / "outbox.sqlite")}})
            link = build_mqtt_link(config, datetime.now)
            sub = Subscriber(broker.port, [f"glimmer/{config.device.device_id}/metrics"], client_id="bench")
            while not link.connected:
                link.poll()
                time.sleep(0.005)
            sent: dict[int, float] = {}
            latencies: list[float] = []
            for i in range(paced):
                sent[i] = time.monotonic()
                link.metrics({"kind": "metrics", "t_s": float(i)})
                deadline = time.monotonic() + 0.010
                while time.monotonic() < deadline:
                    link.poll()
                    while not sub.messages.empty():
                        m = sub.messages.get()
                        latencies.append(time.monotonic() - sent[int(json.loads(m.payload)["t_s"])])
                    time.sleep(0.0005)
            link.flush(10.0)
            for m in sub.take(lambda ms: len(ms) + len(latencies) >= paced, pump=link.poll):
                latencies.append(time.monotonic() - sent[int(json.loads(m.payload)["t_s"])])
            start = time.monotonic()
            for i in range(burst):
                link.metrics({"kind": "metrics", "t_s": float(paced + i)})
            sub.take(lambda ms: len(ms) >= burst, timeout_s=120.0, pump=link.poll)
            rate = burst / (time.monotonic() - start)
            link.close()
            sub.close()
        finally:
            broker.stop()
    latencies.sort()
    return (statistics.median(latencies) * 1000, latencies[int(0.95 * (len(latencies) - 1))] * 1000, rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--paced", type=int, default=300)
    parser.add_argument("--burst", type=int, default=2000)
    args = parser.parse_args()
    results = [one_run(args.paced, args.burst) for _ in range(max(3, args.runs))]
    for i, name in enumerate(("latency median ms", "latency p95 ms", "messages/s")):
        values = sorted(r[i] for r in results)
        print(f"{name:<20} min {values[0]:8.2f}  median {statistics.median(values):8.2f}  max {values[-1]:8.2f}"
              f"   ({len(values)} runs)")


if __name__ == "__main__":
    main()
