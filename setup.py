"""Packaging for Glimmer: one distribution holding the four top-level packages of the device."""

from setuptools import find_packages, setup

setup(
    name="glimmer",
    version="0.1.0",
    description="Ambient co-regulation device: pulse sensing, HRV and paced breathing on a Raspberry Pi",
    python_requires=">=3.11",
    packages=find_packages(include=["device", "device.*", "drivers", "drivers.*",
                                    "patterns", "patterns.*", "sim", "sim.*"]),
    package_data={"device": ["default_config.toml"]},
    install_requires=[
        "numpy>=1.24",
        "scipy>=1.10",
        "gpiozero>=2.0",
        "smbus2>=0.4",
        "paho-mqtt>=2.0",
    ],
    extras_require={
        # Hardware libraries for the Raspberry Pi; they need a compiler or PortAudio headers.
        "pi": ["spidev>=3.6", "pyaudio>=0.2.13", "lgpio>=0.2"],
        # Sound on a laptop running the simulator (needs PortAudio).
        "audio": ["pyaudio>=0.2.13"],
        # Pictures for `glimmer report` (the daemon never imports it).
        "report": ["matplotlib>=3.6"],
        # The tests draw reports too, hence matplotlib.
        "test": ["pytest>=8", "pytest-cov>=5", "hypothesis>=6", "ruff>=0.5", "mypy>=1.10", "matplotlib>=3.6",
                 # the MQTT contract test (JSON Schema in an AsyncAPI YAML document) and its TLS test CA
                 "jsonschema>=4.18", "pyyaml>=6", "cryptography>=41",
                 # renders the Home Assistant discovery templates as Home Assistant does (Jinja)
                 "jinja2>=3.1",
                 # runs the suite on every core (pyproject addopts: -n auto)
                 "pytest-xdist>=3.5"],
        # Peers measured by the pulse benchmark; never imported by the device.
        "bench": ["neurokit2>=0.2.10", "heartpy>=1.2.7", "pandas>=2"],
    },
    entry_points={"console_scripts": ["glimmer=device.entry:main"]},
)
