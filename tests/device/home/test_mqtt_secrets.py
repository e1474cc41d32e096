"""The MQTT password never leaves its file (logs, published bytes, the outbox, `glimmer config`); TLS with a
test CA works."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from device.cli import main
from tests.device.home.broker import Mosquitto, Subscriber
from tests.device.home.device_helpers import mqtt_config, sim_device, wait_connected

pytestmark = pytest.mark.broker

PASSWORD = "s3cret-Pa55word-xyzzy"
BASE = "glimmer/bedside"


def test_the_password_is_in_no_log_line_no_published_byte_and_no_config_output(
        tmp_path: Path, broker: Mosquitto, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    passwd = broker.workdir / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwd), "glimmer", PASSWORD], check=True)
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "watcher", "watch"], check=True)
    broker.stop()
    broker.extra = f"allow_anonymous false\npassword_file {passwd}\n"
    broker.start()
    secret = tmp_path / "mqtt-password"
    secret.write_text(PASSWORD + "\n")
    config = mqtt_config(tmp_path, broker.port, username="glimmer", password_file=str(secret))
    caplog.set_level(logging.DEBUG)
    watcher = Subscriber(broker.port, ["#"], client_id="watcher", username="watcher", password="watch")
    glimmer, _ = sim_device(tmp_path, config)
    try:
        wait_connected(glimmer)
        glimmer.run(until_s=60.0)
        assert glimmer.mqtt is not None and glimmer.mqtt.flush(10.0)
        seen = watcher.take(lambda ms: any(m.topic == f"{BASE}/metrics" for m in ms))
    finally:
        glimmer.close()
        seen += watcher.drain()
        watcher.close()
    assert any(m.topic == f"{BASE}/status" and m.payload == b"online" for m in seen), "it did connect with it"
    published = b"".join(m.topic.encode() + m.payload for m in seen)
    assert len(published) > 1000 and PASSWORD.encode() not in published
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "MQTT connected" in logged and PASSWORD not in logged
    assert PASSWORD.encode() not in (tmp_path / "outbox.sqlite").read_bytes()
    toml = tmp_path / "c.toml"
    toml.write_text(f'[mqtt]\nhost = "127.0.0.1"\nusername = "glimmer"\npassword_file = "{secret}"\n')
    capsys.readouterr()
    assert main(["--config", str(toml), "config"]) == 0
    out = capsys.readouterr()
    assert str(secret) in out.out and PASSWORD not in out.out + out.err


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None,
          issuer_key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate | None = None, key: ec.EllipticCurvePrivateKey | None = None) -> str:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    elif key is not None:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(path)


def test_tls_with_a_test_ca(tmp_path: Path, broker: Mosquitto) -> None:
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Glimmer test CA", ca_key, None, ca_key, ca=True)
    server = _cert("localhost", server_key, ca.subject, ca_key, ca=False)
    d = broker.workdir
    ca_file = _write(d / "ca.pem", ca)
    broker.stop()
    broker.extra = (f"allow_anonymous true\ncafile {ca_file}\ncertfile {_write(d / 'server.pem', server)}\n"
                    f"keyfile {_write(d / 'server.key', key=server_key)}\n")
    broker.start()
    config = mqtt_config(tmp_path, broker.port, tls=True, ca_file=ca_file)
    sub = Subscriber(broker.port, [f"{BASE}/#"], tls_ca=ca_file)
    glimmer, _ = sim_device(tmp_path, config)
    try:
        wait_connected(glimmer)
        glimmer.run(until_s=10.0)
        assert glimmer.mqtt is not None and glimmer.mqtt.flush(10.0)
        got = sub.take(lambda ms: any(m.topic == f"{BASE}/metrics" for m in ms))
    finally:
        glimmer.close()
        sub.close()
    metrics = [json.loads(m.payload) for m in got if m.topic == f"{BASE}/metrics"]
    assert metrics[0]["t_s"] == 5.0


def test_a_broker_with_another_ca_is_refused(tmp_path: Path, broker: Mosquitto) -> None:
    ca_key, other_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _cert("Glimmer test CA", ca_key, None, ca_key, ca=True)
    other = _cert("Someone else's CA", other_key, None, other_key, ca=True)
    server = _cert("localhost", server_key, other.subject, other_key, ca=False)
    d = broker.workdir
    broker.stop()
    broker.extra = (f"allow_anonymous true\ncafile {_write(d / 'other.pem', other)}\n"
                    f"certfile {_write(d / 'server.pem', server)}\n"
                    f"keyfile {_write(d / 'server.key', key=server_key)}\n")
    broker.start()
    config = mqtt_config(tmp_path, broker.port, tls=True, ca_file=_write(d / "ca.pem", ca))
    glimmer, _ = sim_device(tmp_path, config)
    try:
        glimmer.run(until_s=10.0)  # the device carries on without its broker
        assert glimmer.mqtt is not None and not glimmer.mqtt.flush(1.0) and not glimmer.mqtt.connected
        waiting = [m.cls for m in glimmer.mqtt.outbox.peek(limit=1000)]
        assert waiting.count("metrics") == 2 and waiting.count("state") >= 1  # kept, none sent or lost
    finally:
        glimmer.close()


def test_a_wrong_password_is_refused_said_once_and_the_device_carries_on(
        tmp_path: Path, broker: Mosquitto, caplog: pytest.LogCaptureFixture) -> None:
    passwd = broker.workdir / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwd), "glimmer", PASSWORD], check=True)
    broker.stop()
    broker.extra = f"allow_anonymous false\npassword_file {passwd}\n"
    broker.start()
    secret = tmp_path / "wrong"
    secret.write_text("not-the-password\n")
    config = mqtt_config(tmp_path, broker.port, username="glimmer", password_file=str(secret))
    glimmer, _ = sim_device(tmp_path, config)
    try:
        glimmer.run(until_s=20.0)
        assert glimmer.mqtt is not None and not glimmer.mqtt.flush(1.5)
        assert glimmer.last_payload is not None and glimmer.last_payload["t_s"] == 20.0
    finally:
        glimmer.close()
    refusals = [r for r in caplog.records if "refused the connection" in r.getMessage()]
    assert len(refusals) == 1 and "not-the-password" not in caplog.text
