"""Alert intake, dedup and grouping."""
