"""Event data: reading event files with DuckDB (``events``), metrics endpoints serving daily
aggregates (``http_source``), and seeded demo data (``demo``). See docs/data.md."""
