"""Unit tests for notification modules and channels."""
