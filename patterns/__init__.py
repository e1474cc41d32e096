"""Glimmer patterns: pure functions of time for the pacer, LED frames, hum synthesis and palettes."""
