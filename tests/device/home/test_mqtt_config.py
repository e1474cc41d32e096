"""The [mqtt] config: off by default, checked like every section, secrets only by file."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.cli import EX_CONFIG, main
from device.config import load_config
from device.errors import ConfigError
from device.home.mqtt import read_password


def test_mqtt_is_off_until_a_host_is_set_and_mqtt_5_is_the_default() -> None:
    config = load_config()
    assert config.mqtt.host == "" and config.mqtt.protocol == "5"
    assert load_config(overrides={"mqtt": {"protocol": "3.1.1"}}).mqtt.protocol == "3.1.1"


def test_bad_mqtt_values_are_all_reported_with_their_keys() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(overrides={"mqtt": {"port": 0, "protocol": "4", "reconnect_min_s": 5.0, "reconnect_max_s": 1.0,
                                        "cert_file": "/x.pem", "password_file": "/p"}})
    text = str(caught.value)
    for key in ("mqtt.port", "mqtt.protocol", "mqtt.reconnect_max_s", "mqtt.tls", "mqtt.key_file", "mqtt.username"):
        assert key in text, key


def test_an_unreadable_password_file_is_a_config_error_naming_the_key(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match=r"mqtt\.password_file"):
        read_password(str(tmp_path / "missing"))
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        read_password(str(empty))
    config = tmp_path / "c.toml"
    config.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = 1\nusername = "u"\npassword_file = "{tmp_path}/missing"\n'
                      f'outbox_path = "{tmp_path}/o.sqlite"\n')
    assert main(["--config", str(config), "sim", "--minutes", "0.1", "--json", "--wav", str(tmp_path / "s.wav")]) \
        == EX_CONFIG
    assert "mqtt.password_file" in capsys.readouterr().err


@pytest.mark.parametrize("problem", ["missing", "a directory", "empty", "not UTF-8"])
@pytest.mark.parametrize("command", [["config"], ["sim", "--minutes", "0.1", "--json"]])
def test_glimmer_config_and_every_start_report_a_password_file_that_cannot_be_used(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str, command: list[str]) -> None:
    """The same check in `glimmer config` as at start (exit 78, EX_CONFIG), naming the key and the path and
    nothing of the file's content, before any broker is tried."""
    secret = tmp_path / "mqtt-password"
    if problem == "a directory":
        secret.mkdir()
    elif problem == "empty":
        secret.write_text("\nhunter2-second-line\n")
    elif problem == "not UTF-8":
        secret.write_bytes(b"hunter2\xff\n")
    config = tmp_path / "c.toml"
    config.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = 1\nusername = "u"\npassword_file = "{secret}"\n'
                      f'outbox_path = "{tmp_path}/o.sqlite"\n')
    assert main(["--config", str(config), *command]) == EX_CONFIG
    out = capsys.readouterr()
    assert "mqtt.password_file: " in out.err and str(secret) in out.err and "hunter2" not in out.err + out.out
    assert out.out == "", "no config printed as if it were good"


def test_the_tls_files_are_checked_with_the_config_and_a_good_password_file_passes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("hunter2\n")
    config = tmp_path / "c.toml"
    config.write_text(f'[mqtt]\nhost = "127.0.0.1"\nusername = "u"\npassword_file = "{secret}"\ntls = true\n'
                      f'ca_file = "{tmp_path}/ca.pem"\ncert_file = "{tmp_path}"\nkey_file = "{secret}"\n')
    assert main(["--config", str(config), "config"]) == EX_CONFIG
    err = capsys.readouterr().err
    assert f"mqtt.ca_file: cannot read {tmp_path}/ca.pem" in err and f"mqtt.cert_file: cannot read {tmp_path}" in err
    assert "mqtt.key_file" not in err and "mqtt.password_file" not in err and "hunter2" not in err
    config.write_text(f'[mqtt]\nhost = "127.0.0.1"\nusername = "u"\npassword_file = "{secret}"\n')
    assert main(["--config", str(config), "config"]) == 0
    assert "hunter2" not in capsys.readouterr().out


def test_the_files_are_not_read_while_mqtt_is_off(tmp_path: Path) -> None:
    """With no host the files are unused: a config naming one that is missing still loads (it says so once
    MQTT is turned on)."""
    overrides = {"mqtt": {"username": "u", "password_file": str(tmp_path / "missing")}}
    assert load_config(overrides=overrides, check_files=True).mqtt.host == ""
    with pytest.raises(ConfigError, match=r"mqtt\.password_file: cannot read"):
        load_config(overrides={"mqtt": {**overrides["mqtt"], "host": "localhost"}}, check_files=True)


def test_tls_files_that_do_not_load_as_certificates_are_config_errors_naming_key_and_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Readable is not enough: the CA file must hold a certificate and the client pair must load (the ssl
    module's loaders, as the client will use them); checked by `glimmer config` as at every start."""
    text = tmp_path / "notes.txt"
    text.write_text("not a certificate\n")
    config = tmp_path / "c.toml"
    config.write_text(f'[mqtt]\nhost = "127.0.0.1"\ntls = true\nca_file = "{text}"\n')
    assert main(["--config", str(config), "config"]) == EX_CONFIG
    err = capsys.readouterr().err
    assert f"mqtt.ca_file: {text} holds no usable CA certificate" in err
    config.write_text(f'[mqtt]\nhost = "127.0.0.1"\ntls = true\ncert_file = "{text}"\nkey_file = "{text}"\n')
    assert main(["--config", str(config), "config"]) == EX_CONFIG
    assert f"{text} and {text} do not load as a certificate and its private key" in capsys.readouterr().err


def test_sim_with_store_keeps_its_mqtt_outbox_in_that_store(tmp_path: Path) -> None:
    """`--store X` is where everything this run keeps goes, the messages waiting for the broker too."""
    import sqlite3

    config = tmp_path / "c.toml"
    config.write_text('[mqtt]\nhost = "127.0.0.1"\nport = 1\n')  # nothing listens: every message waits
    store = tmp_path / "elsewhere.db"
    assert main(["--config", str(config), "sim", "--speed", "max", "--minutes", "0.5", "--json",
                 "--store", str(store), "--wav", str(tmp_path / "s.wav")]) == 0
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM mqtt_outbox").fetchone()[0] > 0
