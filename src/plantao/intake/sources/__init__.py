"""Parsers for each sender's payload format."""
