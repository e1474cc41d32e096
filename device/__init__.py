"""Glimmer daemon: composition root, main loop, config, pulse pipeline, HRV, sessions.

Importing this package needs no hardware library.
"""

__version__ = "0.1.0"
