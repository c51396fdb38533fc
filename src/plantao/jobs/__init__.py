"""Durable background jobs: rows with a due time, leased by the engine."""
