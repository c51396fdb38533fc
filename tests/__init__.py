"""Plantão test suite."""
