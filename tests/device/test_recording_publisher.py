"""The simulator's recording publisher holds memory flat however long it runs."""

from __future__ import annotations

from device.publish import RecordingPublisher


def test_keeps_the_first_and_the_most_recent_payloads_only() -> None:
    recorder = RecordingPublisher(max_metrics=10, keep_first=3, max_summaries=2)
    for i in range(1000):
        recorder.metrics({"t_s": 5.0 * i})
        recorder.session_closed({"n": i})
    assert len(recorder.metrics_payloads) == 10 and recorder.metrics_count == 1000
    assert [p["t_s"] for p in recorder.kept_payloads()] == [0.0, 5.0, 10.0] + [5.0 * i for i in range(990, 1000)]
    assert [s["n"] for s in recorder.summaries] == [998, 999]


def test_a_short_run_keeps_everything_once() -> None:
    recorder = RecordingPublisher(max_metrics=10, keep_first=3)
    for i in range(12):
        recorder.metrics({"t_s": float(i)})
    assert [p["t_s"] for p in recorder.kept_payloads()] == [0.0, 1.0] + [float(i) for i in range(2, 12)]
    small = RecordingPublisher(max_metrics=10, keep_first=3)
    for i in range(5):
        small.metrics({"t_s": float(i)})
    assert [p["t_s"] for p in small.kept_payloads()] == [0.0, 1.0, 2.0, 3.0, 4.0]
