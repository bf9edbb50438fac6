"""Event data: reading sources, demo data."""
