"""Incident command: roles (one hat per person), responders, status updates and their cadence,
stakeholders, the setup and close checklists."""
