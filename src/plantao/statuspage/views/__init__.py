"""The status page's API routers (entry points: they own the transaction)."""
