"""Logs and metrics: how the platform watches itself."""
