"""Unit tests for the pure on-call modules."""
