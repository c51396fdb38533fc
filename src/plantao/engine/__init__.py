"""The engine: the loop that runs due jobs (inside plantao serve, or plantao worker)."""
