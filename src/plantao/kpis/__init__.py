"""KPIs: figures computed from every domain above (incidents, paging, runbooks, postmortems,
status updates, on-call routines). It writes nothing but its own caches (the rollup tables)."""
