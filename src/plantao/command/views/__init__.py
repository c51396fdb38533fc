"""Incident command API routers (entry-point code: may import any domain)."""
