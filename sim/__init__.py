"""Glimmer stand-ins for hardware: virtual I2C sensor, simulated person, SPI and audio sinks, terminal view."""
