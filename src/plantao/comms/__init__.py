"""Incident communications: shipped and overridden templates (pt-BR and English), rendering
them from an incident's real data, and the fan-out of status updates to stakeholders."""
