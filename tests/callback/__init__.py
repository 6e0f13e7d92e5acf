"""Tests of the pure callback layer (emulator.callback)."""
