"""Tracking campaigns against their targets: metrics from events, pacing, forecasts."""
