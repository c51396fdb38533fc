"""Learning from incidents: blameless postmortems (drafts generated from what Plantão already
knows, versions, review, publication), corrective actions with owners and due dates, the
release gate that must-fix actions close, and the weekly operational review (seed 002 §5,
lifecycle steps RCA and Learn)."""
