"""Errors outreach raises; all are XhsgrowError, so the CLI prints one line and exits."""

from __future__ import annotations

from xhsgrow.errors import EXIT_FAILED, XhsgrowError


class ContactsError(XhsgrowError):
    """The contacts file cannot be read as contacts (encoding, delimiter, JSON, columns)."""


class TemplateError(XhsgrowError):
    """A template is missing, does not parse, or fails for one or more contacts."""


class OutreachConfigError(XhsgrowError):
    """A channel is not configured (SMTP host, webhook URL, ...) or configured wrongly."""


class LedgerBusy(XhsgrowError):
    """Another send run holds the ledger's lock."""


class InputsChanged(XhsgrowError):
    """The template or contacts changed since an earlier run; --force is needed."""


class SendFailed(XhsgrowError):
    """Some messages failed or have an unknown fate (exit 1: a check failed)."""

    exit_code = EXIT_FAILED
