"""Jinja2 rendering shared by reports, briefs and outreach (templates, filters, charts)."""
