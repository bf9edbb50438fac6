"""Outreach: personalised messages from templates, sent at most once per recipient.

Modules, in the order data flows through them::

    contacts  CSV / JSON Lines rows (encoding and delimiter checks)
    compose   template lookup, strict sandboxed rendering, Markdown -> plain text + HTML
    ledger    the SQLite send ledger (what was sent, failed or is unknown) and its lock
    channels  SMTP, webhook and SMS-over-HTTP delivery, configured from the environment
    send      the run: opt-outs, quiet hours, rate, daily caps, limit, failed.csv
"""
