"""Glimmer hardware drivers; each imports its hardware library only when a real backend is chosen."""
