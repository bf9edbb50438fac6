"""The Spring Festival Gala's date: Lunar New Year's Eve (除夕), from the lunar calendar."""

from __future__ import annotations

import datetime as dt


def lunar_new_years_eve(year: int) -> dt.date:
    """The eve of the Lunar New Year that falls in Gregorian ``year``.

    >>> lunar_new_years_eve(2027)
    datetime.date(2027, 2, 5)
    """
    from lunardate import LunarDate  # imported here: only gala specs need it

    new_year = LunarDate(year, 1, 1)
    solar = getattr(new_year, "to_solar_date", None) or new_year.toSolarDate
    return solar() - dt.timedelta(days=1)
