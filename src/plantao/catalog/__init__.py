"""Teams, users, services, integrations and routes: the objects plantao.yaml declares."""
