"""The SQLite outbox: order, bound with counted drops (oldest detail first, never summaries), and durability
across a kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from device.home.outbox import Outbox, ensure_outbox_schema, open_outbox_db


def test_messages_come_out_in_the_order_they_went_in_and_leave_on_ack(tmp_path: Path) -> None:
    box = Outbox(open_outbox_db(tmp_path / "o.sqlite"), max_messages=100)
    seqs = [box.put("metrics" if i % 3 else "state", "t", f"{i}".encode(), retain=i % 3 == 0) for i in range(10)]
    assert [m.payload for m in box.peek(limit=100)] == [f"{i}".encode() for i in range(10)]
    assert [m.retain for m in box.peek(limit=3)] == [True, False, False]
    box.ack(seqs[0])
    box.ack(seqs[0])  # idempotent
    assert len(box) == 9 and box.peek(limit=1)[0].payload == b"1"
    assert [m.seq for m in box.peek(after_seq=seqs[5], limit=100)] == seqs[6:]


def test_a_full_outbox_drops_the_oldest_metrics_first_then_state_never_summaries(tmp_path: Path) -> None:
    box = Outbox(open_outbox_db(tmp_path / "o.sqlite"), max_messages=4)
    box.put("summary", "s", b"s1")
    box.put("state", "t", b"st1")
    box.put("metrics", "m", b"m1")
    box.put("metrics", "m", b"m2")
    box.put("event", "e", b"e1")  # full: m1 goes
    assert [m.payload for m in box.peek()] == [b"s1", b"st1", b"m2", b"e1"]
    box.put("summary", "s", b"s2")  # m2 goes
    box.put("summary", "s", b"s3")  # st1 goes
    box.put("summary", "s", b"s4")  # e1 goes
    box.put("summary", "s", b"s5")  # only summaries left: kept beyond the bound
    assert [m.payload for m in box.peek()] == [b"s1", b"s2", b"s3", b"s4", b"s5"]
    assert box.dropped() == {"metrics": 2, "state": 1, "event": 1}


def test_the_schema_function_is_idempotent_and_works_on_any_connection() -> None:
    conn = sqlite3.connect(":memory:")
    ensure_outbox_schema(conn)
    ensure_outbox_schema(conn)
    assert Outbox(conn, 10).put("metrics", "t", b"x") == 1


def test_unknown_class_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown outbox class"):
        Outbox(open_outbox_db(tmp_path / "o.sqlite"), 10).put("gossip", "t", b"x")


WRITER = """
import os, signal, sys
from pathlib import Path
from device.home.outbox import Outbox, open_outbox_db
box = Outbox(open_outbox_db(Path(sys.argv[1])), max_messages=1000)
for i in range(200):
    box.put("metrics", "glimmer/x/metrics", str(i).encode())
    if i == 149:
        print("written", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_what_was_put_survives_a_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    proc = subprocess.run([sys.executable, "-c", WRITER, str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    assert proc.returncode == -signal.SIGKILL and "written" in proc.stdout
    box = Outbox(open_outbox_db(path), max_messages=1000)
    assert [m.payload for m in box.peek(limit=1000)] == [str(i).encode() for i in range(150)]


def test_drop_counts_survive_a_reopen(tmp_path: Path) -> None:
    box = Outbox(open_outbox_db(tmp_path / "o.sqlite"), max_messages=1)
    box.put("metrics", "m", b"1")
    box.put("metrics", "m", b"2")
    box.conn.close()
    again = Outbox(open_outbox_db(tmp_path / "o.sqlite"), max_messages=1)
    assert again.dropped() == {"metrics": 1, "state": 0, "event": 0} and len(again) == 1
