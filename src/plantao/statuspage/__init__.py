"""The public status page: components fed by services, public incidents published from real
incidents by the Comms Lead (public words only), scheduled maintenance, 90-day uptime, feeds and
a Statuspage-shaped JSON API, subscribers — served from snapshots the engine keeps current, so
the page answers while the database does not (seed 002: "Sev1: public Status Page")."""
