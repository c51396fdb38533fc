"""Transports that deliver one rendered message to one contact target."""
