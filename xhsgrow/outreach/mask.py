"""Mask recipients for terminal output and logs: 138****5678, z***@example.com."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a mobile number: 138****5678."""
    digits = _DIGITS.sub("", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) >= 8:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    if len(digits) > 2:
        return f"{'*' * (len(digits) - 2)}{digits[-2:]}"
    return "*" * len(digits)


def mask_email(email: str) -> str:
    """Keep the first character of the local part and the domain: z***@example.com."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_phone(email) if any(c.isdigit() for c in email) else "***"
    return f"{local[:1]}***@{domain}"


# one address and nothing else: no list, no display name, no spaces
_ONE_EMAIL = re.compile(r"^[^\s@,;:<>()\[\]\"']+@[^\s@,;:<>()\[\]\"']+$")
_ONE_PHONE = re.compile(r"^\+?[\d\s().-]*\d[\d\s().-]*$")
_NUMBER_IN_TEXT = re.compile(r"\d(?:[\s-]?\d){4,}")  # five digits or more


def mask(address: str, line: int | None = None) -> str:
    """Mask an email or a phone number, whichever it looks like: z***@example.com,
    138****5678. Safe for any string: a value that is neither (two addresses, a display name,
    a chat id, a typo) never shows its text, only its address- and number-like parts masked,
    as ``(masked: a***@example.com, b***@example.com)``, or ``(masked)``. ``line`` (the
    contact's line) is added to those and to an empty value, so the row can be found."""
    value = address.strip()
    where = f"line {line}" if line is not None else ""
    if not value:
        return f"(no address, {where})" if where else ""
    if _ONE_EMAIL.match(value):
        return mask_email(value)
    if _ONE_PHONE.match(value):
        return mask_phone(value)
    parts = [mask_email(m[0]) for m in _EMAIL_IN_TEXT.finditer(value)]
    rest = _EMAIL_IN_TEXT.sub(" ", value)
    parts += [mask_phone(m[0]) for m in _NUMBER_IN_TEXT.finditer(rest)]
    if parts:
        return f"(masked: {', '.join(parts)}{'; ' + where if where else ''})"
    return f"(masked, {where})" if where else "(masked)"


def normalise(address: str) -> str:
    """The comparable form of an address: lower-case email, or the phone's digits (no +86)."""
    address = address.strip()
    if "@" in address:
        return address.lower()
    digits = _DIGITS.sub("", address)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")


def mask_text(text: str) -> str:
    """``text`` (a server's reply, an error) with every email and mobile number masked."""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m[0]), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m[0]), text)
