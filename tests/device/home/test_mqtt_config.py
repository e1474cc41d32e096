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
