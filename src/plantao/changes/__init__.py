"""Change events (deploys, config changes) shown beside incidents."""
