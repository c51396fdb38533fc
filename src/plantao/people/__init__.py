"""People: users, service accounts, teams with per-team roles, and the audit log."""
