"""Plantão: self-hosted incident response and on-call."""

__version__ = "0.1.0"
