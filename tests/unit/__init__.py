"""Unit tests: pure modules, no DB, frozen clock."""
