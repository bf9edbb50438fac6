"""Semantic rules: mistakes a type checker cannot see, each reported at the key it is about."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

from xhsgrow.specs import divisions
from xhsgrow.specs.locate import Path
from xhsgrow.specs.models import (
    AGE_BANDS,
    CHANNELS,
    Campaign,
    GalaCampaign,
    PartnershipCampaign,
    ReferralCampaign,
)

Finding = tuple[Path, str]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MUNICIPALITIES = ("11", "12", "31", "50")  # Beijing, Tianjin, Shanghai, Chongqing
_PHONE = re.compile(r"^(\+?86[- ]?)?1[3-9]\d{9}$|^\+?[0-9][0-9 -]{6,18}$")


def suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    """'; did you mean 'x'?' for the closest option, or ''."""
    import difflib  # only needed once something is wrong

    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA timezone this machine knows (specs and xhsgrow.toml)."""
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except Exception:  # ValueError for a malformed key, ZoneInfoNotFoundError for an unknown one
        return False
    return True


def check(campaign: Campaign) -> list[Finding]:
    """Every semantic problem of a structurally valid campaign."""
    found: list[Finding] = []
    for rule in _COMMON + _BY_KIND[campaign.kind]:
        found.extend(rule(campaign))  # type: ignore[arg-type]
    return found


# --- common ------------------------------------------------------------------------------


def _window(c: Campaign) -> Iterator[Finding]:
    w = c.window
    if w.end < w.start:
        yield ("window", "end"), f"end {w.end} is before start {w.start}"
    if not is_timezone(w.timezone):
        yield ("window", "timezone"), f"unknown timezone '{w.timezone}' (use an IANA name)"


def _inside(c: Campaign, day: dt.date) -> bool:
    return c.window.start <= day <= c.window.end


def _time_left(at: dt.datetime, last_day: dt.date) -> dt.timedelta:
    """From ``at`` to the midnight that ends ``last_day``, without building a datetime past it
    (the window may end on 9999-12-31)."""
    return dt.datetime.combine(last_day, dt.time()) - at + dt.timedelta(days=1)


def _pacing(c: Campaign) -> Iterator[Finding]:
    p = c.pacing
    if p.curve == "checkpoints" and not p.checkpoints:
        yield ("pacing", "checkpoints"), "curve 'checkpoints' needs at least one checkpoint"
    if p.curve != "checkpoints" and p.checkpoints:
        yield ("pacing", "checkpoints"), "checkpoints are only used with curve = 'checkpoints'"
    if p.curve == "phases" and c.kind != "gala":
        yield ("pacing", "curve"), "curve 'phases' is only for gala campaigns"
    last: tuple[dt.date, float] | None = None
    for i, cp in enumerate(p.checkpoints):
        if not _inside(c, cp.date):
            yield (
                ("pacing", "checkpoints", i, "date"),
                f"{cp.date} is outside the window {c.window.start}..{c.window.end}",
            )
        if last and cp.date <= last[0]:
            yield ("pacing", "checkpoints", i, "date"), "checkpoint dates must be ascending"
        if last and cp.share < last[1]:
            yield (
                ("pacing", "checkpoints", i, "share"),
                f"share {cp.share} falls below the previous checkpoint's {last[1]}",
            )
        last = (cp.date, cp.share)


def _thresholds(c: Campaign) -> Iterator[Finding]:
    t = c.thresholds
    if t and t.at_risk > t.on_track:
        yield ("thresholds", "at_risk"), f"at_risk {t.at_risk} is above on_track {t.on_track}"


def _targets(c: Campaign) -> Iterator[Finding]:
    t = c.targets
    if t.acquired is not None and t.activated is not None and t.activated > t.acquired:
        yield (
            ("targets", "activated"),
            f"activated target {t.activated:,} exceeds the acquired target {t.acquired:,}",
        )
    if t.budget_spend is not None and t.budget_spend > c.budget.amount:
        yield (
            ("targets", "budget_spend"),
            f"budget_spend {t.budget_spend:,.0f} exceeds the budget {c.budget.amount:,.0f}",
        )
    seen: set[tuple[str, str, str]] = set()
    for i, seg in enumerate(t.segments):
        where = ("targets", "segments", i, "value")
        if seg.dimension == "region" and not divisions.is_division(seg.value):
            yield where, f"'{seg.value}' is not a GB/T 2260 division code"
        if seg.dimension == "channel" and seg.value not in CHANNELS:
            yield where, f"unknown channel '{seg.value}'{suggest(seg.value, CHANNELS)}"
        if seg.dimension == "age_band" and seg.value not in AGE_BANDS:
            bands = ", ".join(AGE_BANDS)
            yield where, f"unknown age band '{seg.value}' (one of {bands})"
        key = (seg.dimension, seg.value, seg.metric)
        if key in seen:
            yield ("targets", "segments", i), f"duplicate {seg.metric} target for {seg.value}"
        seen.add(key)


# --- referral ----------------------------------------------------------------------------


def _referral(c: ReferralCampaign) -> Iterator[Finding]:
    r = c.referral
    if r.qualifying_action == "active_days" and r.active_days is None:
        yield ("referral", "active_days"), "required when qualifying_action = 'active_days'"
    if r.qualifying_action != "active_days" and r.active_days is not None:
        yield ("referral", "active_days"), "only used with qualifying_action = 'active_days'"
    if r.rewards.currency != c.budget.currency:
        yield (
            ("referral", "rewards", "currency"),
            f"rewards are in {r.rewards.currency} but the budget is in {c.budget.currency}",
        )
    for i, tier in enumerate(r.rewards.tiers[1:], start=1):
        prev = r.rewards.tiers[i - 1]
        if tier.invites <= prev.invites:
            yield (
                ("referral", "rewards", "tiers", i, "invites"),
                f"tiers must be ascending: {tier.invites} invites after {prev.invites}",
            )
    caps = r.caps
    for who in ("referee", "referrer"):
        amount = getattr(r.rewards, who)
        if amount > caps.pool:
            yield (
                ("referral", "rewards", who),
                f"{who} reward {amount:,.2f} is above the total pool {caps.pool:,.2f}",
            )
    if caps.pool > c.budget.amount:
        yield (
            ("referral", "caps", "pool"),
            f"reward pool {caps.pool:,.0f} exceeds the budget {c.budget.amount:,.0f}",
        )
    if (
        caps.per_referrer_daily
        and caps.per_referrer
        and caps.per_referrer_daily > caps.per_referrer
    ):
        yield (
            ("referral", "caps", "per_referrer_daily"),
            "daily cap is above the per-campaign cap",
        )
    if (
        caps.per_referrer_daily_amount
        and caps.per_referrer_amount
        and caps.per_referrer_daily_amount > caps.per_referrer_amount
    ):
        yield (
            ("referral", "caps", "per_referrer_daily_amount"),
            "daily amount cap is above the per-campaign amount cap",
        )
    for i, ch in enumerate(r.channels):
        if ch not in CHANNELS:
            yield ("referral", "channels", i), f"unknown channel '{ch}'{suggest(ch, CHANNELS)}"
    for i, ch in enumerate(r.eligibility.channels):
        if ch not in CHANNELS:
            yield (
                ("referral", "eligibility", "channels", i),
                f"unknown channel '{ch}'{suggest(ch, CHANNELS)}",
            )
    for i, code in enumerate(r.eligibility.regions):
        if not divisions.is_division(code):
            yield (
                ("referral", "eligibility", "regions", i),
                f"'{code}' is not a GB/T 2260 division code",
            )


# --- partnership -------------------------------------------------------------------------


def _partnership(c: PartnershipCampaign) -> Iterator[Finding]:
    p = c.partnership
    codes = p.partner.divisions
    for i, code in enumerate(codes):
        where = ("partnership", "partner", "divisions", i)
        if not divisions.is_division(code):
            yield where, f"'{code}' is not a GB/T 2260 division code"
        elif divisions.level(code) != p.partner.level and not (
            # the municipalities' 市辖区 / 县 groupings (110100, 500200, ...) have a prefecture
            # shape, but the bodies below a municipality are county-level
            p.partner.level == "county"
            and divisions.level(code) == "prefecture"
            and code[:2] in _MUNICIPALITIES
        ):
            name = divisions.name(code)
            yield (
                where,
                f"{code} ({name}) is a {divisions.level(code)}-level code, "
                f"but partner.level is '{p.partner.level}'",
            )
    a = p.agreement
    if a.end < a.start:
        yield ("partnership", "agreement", "end"), f"end {a.end} is before start {a.start}"
    if a.signed > a.end:
        yield (
            ("partnership", "agreement", "signed"),
            f"signed {a.signed}, after the agreement ends on {a.end}",
        )
    for i, m in enumerate(p.milestones):
        if not _inside(c, m.due):
            yield (
                ("partnership", "milestones", i, "due"),
                f"milestone due {m.due} is outside the window {c.window.start}..{c.window.end}",
            )
        if m.done_on and not m.done:
            yield ("partnership", "milestones", i, "done_on"), "done_on is set but done = false"
    for i, seg in enumerate(c.targets.segments):
        covered = any(divisions.covers(area, seg.value) for area in codes)
        if seg.dimension == "region" and divisions.is_division(seg.value) and not covered:
            yield (
                ("targets", "segments", i, "value"),
                f"region {seg.value} ({divisions.name(seg.value)}) is not covered by "
                "the partnership",
            )
    for i, person in enumerate(p.contacts):
        if person.email and not _EMAIL.match(person.email):
            yield ("partnership", "contacts", i, "email"), f"'{person.email}' is not an email"
        if person.phone and not _PHONE.match(person.phone.replace(" ", "")):
            yield ("partnership", "contacts", i, "phone"), "not a phone number"
        if not person.email and not person.phone:
            yield ("partnership", "contacts", i), "a contact needs an email or a phone"


# --- gala --------------------------------------------------------------------------------


def _gala(c: GalaCampaign) -> Iterator[Finding]:
    from xhsgrow.specs.lunar import lunar_new_years_eve

    g = c.gala
    eve = lunar_new_years_eve(g.year)
    if g.eve is not None and g.eve != eve and not g.eve_override:
        yield (
            ("gala", "eve"),
            f"{g.eve} is not Lunar New Year's Eve {g.year} ({eve}); "
            "set eve_override = true to keep it",
        )
    if g.eve_override and g.eve is None:
        yield ("gala", "eve_override"), "eve_override needs an explicit eve date"
    night = g.eve if g.eve is not None else eve
    if not _inside(c, night):
        yield (
            ("gala", "eve" if g.eve else "year"),
            f"gala night {night} is outside the window {c.window.start}..{c.window.end}",
        )
    total = sum(ph.share for ph in g.phases)
    if abs(total - 1) > 1e-9:
        yield ("gala", "phases"), f"phase shares sum to {total:g}, not 1"
    for i, ph in enumerate(g.phases):
        where = ("gala", "phases", i)
        if ph.end < ph.start:
            yield (*where, "end"), f"end {ph.end} is before start {ph.start}"
        if not (_inside(c, ph.start) and _inside(c, ph.end)):
            yield (
                (*where, "start"),
                f"phase {ph.start}..{ph.end} is outside the window "
                f"{c.window.start}..{c.window.end}",
            )
        if i and ph.start <= g.phases[i - 1].end:
            yield (*where, "start"), "phases must be in order and must not overlap"
        if ph.name == "gala_night" and not ph.start <= night <= ph.end:
            yield (*where, "start"), f"the gala_night phase does not contain the eve {night}"
    for i, rd in enumerate(g.rounds):
        where = ("gala", "rounds", i)
        if rd.at.tzinfo is not None:
            # one clock for the whole night: mixing offsets with local times breaks comparisons
            yield (
                (*where, "at"),
                f"write the local time without an offset ({rd.at:%Y-%m-%dT%H:%M:%S}); "
                f"the window's timezone {c.window.timezone} applies",
            )
            continue
        if not _inside(c, rd.at.date()):
            yield (
                (*where, "at"),
                f"round at {rd.at:%Y-%m-%d %H:%M} is outside the window "
                f"{c.window.start}..{c.window.end}",
            )
        elif dt.timedelta(minutes=rd.duration_minutes) > _time_left(rd.at, c.window.end):
            yield (
                (*where, "duration_minutes"),
                f"the round opens at {rd.at:%Y-%m-%d %H:%M} and runs {rd.duration_minutes:,} "
                f"minutes, past the end of the window on {c.window.end}",
            )
        if rd.top_prize is not None and rd.top_prize > rd.prize_pool:
            yield (*where, "top_prize"), "top prize is larger than the round's prize pool"
    pools = sum(rd.prize_pool for rd in g.rounds)
    if pools > c.budget.amount:
        yield (
            ("gala", "rounds"),
            f"prize pools add up to {pools:,.0f}, above the budget {c.budget.amount:,.0f}",
        )


_COMMON: list[Callable[[Campaign], Iterator[Finding]]] = [_window, _pacing, _thresholds, _targets]
_BY_KIND: dict[str, list[Callable[..., Iterator[Finding]]]] = {
    "referral": [_referral],
    "partnership": [_partnership],
    "gala": [_gala],
}
