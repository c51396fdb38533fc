"""The postmortem domain's API routers (entry-point code)."""
