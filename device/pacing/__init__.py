"""The session state machine and the guide that paces breathing toward the person's resonance rate."""
