"""Talking to other services over HTTP: retries, timeouts and secrets kept out of output."""
