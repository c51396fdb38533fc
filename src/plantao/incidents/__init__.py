"""Incidents: lifecycle, severity, timeline."""
