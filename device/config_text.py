"""A config written back as TOML, in the shipped file's layout: what `glimmer config` prints.

The shipped `default_config.toml` is the template: its sections, comments and key order are kept,
and each value is replaced by the effective one, written the way the template writes it (a hex
integer stays hex). The output parses back to the same config, so it can be saved as a config file.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from importlib import resources
from typing import Any

from device.config import Config, as_dict

_SECTION = re.compile(r"^\s*\[([A-Za-z0-9_-]+)\]\s*(#.*)?$")
_KEY = re.compile(r"^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)(.*)$")


def _split_value(rest: str) -> tuple[str, str]:
    """Split what follows `key = ` into (value literal, trailing whitespace and comment).

    The literal ends at the first '#' before which the text parses as a TOML value (a '#' inside a
    string does not end it)."""
    for i, ch in enumerate(rest):
        if ch != "#":
            continue
        literal = rest[:i].rstrip()
        try:
            tomllib.loads(f"x = {literal}")
        except tomllib.TOMLDecodeError:
            continue
        return literal, rest[len(literal):]
    return rest.rstrip(), ""


def toml_literal(value: Any, template: str = "") -> str:
    """`value` as a TOML literal; integers keep the template literal's base (0x57 stays hex)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if template.lower().startswith("0x"):
            digits = template[2:]
            hex_digits = f"{value:0{len(digits)}x}"
            return "0x" + (hex_digits.upper() if digits.isupper() else hex_digits)
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    raise TypeError(f"no TOML literal for {type(value).__name__}")


def _template() -> str:
    return resources.files("device").joinpath("default_config.toml").read_text(encoding="utf-8")


def render_toml(config: Config, template: str | None = None) -> str:
    """The whole config as TOML text in the template's layout (default: the shipped file).

    Keys of the config that the template lacks are appended to their section; sections it lacks
    are appended at the end, so nothing effective is ever left out.
    """
    values = as_dict(config)
    text = _template() if template is None else template
    out: list[str] = []
    written: dict[str, set[str]] = {name: set() for name in values}
    section: str | None = None

    def finish_section() -> None:
        if section is None or section not in values:
            return
        missing = [k for k in values[section] if k not in written[section]]
        for key in missing:
            out.append(f"{key} = {toml_literal(values[section][key])}")
            written[section].add(key)

    for line in text.splitlines():
        heading = _SECTION.match(line)
        if heading:
            finish_section()
            section = heading.group(1)
            out.append(line)
            continue
        match = _KEY.match(line)
        if match and section in values and not line.lstrip().startswith("#"):
            indent, key, equals, rest = match.groups()
            if key in values[section]:
                literal, comment = _split_value(rest)
                new = toml_literal(values[section][key], literal)
                if comment:
                    # Keep the comment's column when the new value fits before it.
                    pad = max(len(literal) - len(new), 0)
                    comment = " " * pad + comment if comment.startswith(" ") else " " + comment
                out.append(f"{indent}{key}{equals}{new}{comment}")
                written[section].add(key)
                continue
        out.append(line)
    finish_section()
    for name, section_values in values.items():
        if not written[name] and section_values:
            out.extend(["", f"[{name}]", *(f"{k} = {toml_literal(v)}" for k, v in section_values.items())])
    return "\n".join(out) + "\n"
