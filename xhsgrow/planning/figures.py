"""Figures in findings and briefs that must not contradict what they are compared with."""

from __future__ import annotations

from xhsgrow.rendering.filters import money


def amount(value: float, currency: str) -> str:
    """Money as stated in the spec: whole amounts without decimals, others with cents, so a
    tier bonus of ¥8.88 is not "¥9" and a top prize of ¥50,000.50 is not "¥50,000"."""
    return money(value, currency, 0 if float(value).is_integer() else 2)


def percents_apart(low: float, high: float, digits: int = 0) -> tuple[str, str]:
    """``low`` and ``high`` (shares, low < high) as percentages with the fewest decimals (at
    least ``digits``, at most 3) that still show low below high: 99.6% of a target is "99.6%",
    not "100%", and a retention of 23.34% under a target of 23.36% does not read "23.3% is
    below 23%"."""
    while True:
        shown = f"{low:.{digits}%}", f"{high:.{digits}%}"
        if digits >= 3 or float(shown[0][:-1]) < float(shown[1][:-1]):
            return shown
        digits += 1
