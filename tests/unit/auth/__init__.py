"""Unit tests for the pure sign-in modules."""
