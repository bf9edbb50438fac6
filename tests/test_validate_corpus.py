"""A corpus of broken specs: each must give the exact `path:line:col: key: message` line(s).

Every case starts from a small valid spec in tests/data/specs/, changes one thing, and runs
`xhsgrow validate` on it. Positions are worked out from the broken text itself (the line and
column where the offending key, element or syntax error stands), not copied from a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import REPO

SPECS = REPO / "tests" / "data" / "specs"


def broken(ws: Path, kind: str, *edits: tuple[str, str], name: str | None = None) -> str:
    """Write campaigns/NAME.toml: the valid KIND spec with each (old, new) edit made once."""
    text = (SPECS / f"{kind}.toml").read_text("utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique in {kind}.toml: {old!r}"
        text = text.replace(old, new)
    (ws / "campaigns" / f"{name or kind}.toml").write_text(text, "utf-8")
    return text


def at(text: str, needle: str, after: str = "") -> str:
    """'line:col' (1-based) of ``needle`` in ``text``, searching from ``after`` if given."""
    start = text.index(after) if after else 0
    i = text.index(needle, start)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return f"{line}:{col}"


def run(invoke, name: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    result = invoke("validate", f"campaigns/{name}.toml")
    return result.exit_code, result.stdout.splitlines()


# (test id, kind, edits, [(needle to locate, after, key, message)])
Case = tuple[str, str, list[tuple[str, str]], list[tuple[str, str, str, str]]]

STRUCTURE: list[Case] = [
    (
        "wrong-type-string-for-integer",
        "referral",
        [("acquired = 100_000", 'acquired = "lots"')],
        [("acquired", "", "targets.acquired", "should be an integer, not 'lots'")],
    ),
    (
        "wrong-type-float-for-integer",
        "referral",
        [("acquired = 100_000", "acquired = 1.5e5")],
        [("acquired", "", "targets.acquired", "should be an integer, not 150000.0")],
    ),
    (
        "wrong-type-quoted-date",
        "gala",
        [("[window]\nstart = 2027-01-30", '[window]\nstart = "2027-01-30"')],
        [
            (
                "start",
                "",
                "window.start",
                "should be a date such as 2027-02-05 (without quotes), not '2027-01-30'",
            )
        ],
    ),
    (
        "wrong-type-date-for-datetime",
        "gala",
        [("at = 2027-02-05T23:50:00", "at = 2027-02-05")],
        [
            (
                "at = 2027-02-05\n",
                "",
                "gala.rounds[1].at",
                "should be a date-time such as 2027-02-05T20:00:00 (without quotes), "
                "not 2027-02-05",
            )
        ],
    ),
    (
        "wrong-type-bool-for-integer",
        "gala",
        [("capacity_rps = 10_000_000", "capacity_rps = true")],
        [("capacity_rps", "", "gala.capacity_rps", "should be an integer, not true")],
    ),
    (
        "wrong-type-string-for-table",
        "referral",
        [("[window]\nstart = 2025-01-13\nend = 2025-02-28\n", 'window = "soon"\n')],
        [("window", "", "window", "should be a table, not 'soon'")],
    ),
    (
        "out-of-range",
        "gala",
        [("capacity_rps = 10_000_000", "capacity_rps = -5")],
        [("capacity_rps", "", "gala.capacity_rps", "should be greater than 0 (got -5)")],
    ),
    (
        "empty-string-in-array",
        "referral",
        [('tags = ["referral"]', 'tags = ["referral", ""]')],
        [('""', "tags", "tags[1]", "must not be empty")],
    ),
    (
        "empty-array-of-phases",
        "gala",
        [
            (
                '[[gala.phases]]\nname = "warm_up"\nstart = 2027-01-30\nend = 2027-02-04\n'
                'share = 0.2\n\n[[gala.phases]]\nname = "gala_night"\nstart = 2027-02-05\n'
                'end = 2027-02-06\nshare = 0.6\n\n[[gala.phases]]\nname = "retention"\n'
                "start = 2027-02-07\nend = 2027-03-07\nshare = 0.2\n",
                "",
            ),
            ("capacity_rps = 10_000_000", "capacity_rps = 10_000_000\nphases = []"),
        ],
        [("phases = []", "", "gala.phases", "needs at least 1 item")],
    ),
    (
        "missing-top-level-key",
        "referral",
        [('owner = "growth"\n', "")],
        [("", "", "owner", "missing required key 'owner'")],
    ),
    (
        "missing-key-in-table",
        "referral",
        [("referrer = 8.0\n", "")],
        [
            (
                "[referral.rewards]",
                "",
                "referral.rewards.referrer",
                "missing required key 'referrer'",
            )
        ],
    ),
    (
        "missing-key-in-array-of-tables",
        "gala",
        [("expected_participants = 90_000_000\n", "")],
        [
            (
                "[[gala.rounds]]",
                "Opening shake",
                "gala.rounds[1].expected_participants",
                "missing required key 'expected_participants'",
            )
        ],
    ),
    (
        "missing-kind",
        "referral",
        [('kind = "referral"\n', "")],
        [("", "", "kind", "missing required key 'kind' (referral | partnership | gala)")],
    ),
    (
        "unknown-kind-with-suggestion",
        "referral",
        [('kind = "referral"', 'kind = "referal"')],
        [
            (
                "kind",
                "",
                "kind",
                "unknown kind 'referal'; expected one of referral, partnership, gala; "
                "did you mean 'referral'?",
            )
        ],
    ),
    (
        "unknown-key-with-suggestion",
        "referral",
        [("referrer = 8.0", "referer = 8.0")],
        # one mistake, one line: the misspelt key is not also reported as missing
        [
            (
                "referer",
                "",
                "referral.rewards.referer",
                "unknown key 'referer'; did you mean 'referrer'?",
            ),
        ],
    ),
    (
        "unknown-table-with-suggestion",
        "referral",
        [("[pacing]", "[pacng]")],
        [("[pacng]", "", "pacng", "unknown key 'pacng'; did you mean 'pacing'?")],
    ),
    (
        "unknown-key-without-suggestion",
        "gala",
        [("year = 2027", "year = 2027\nsponsor = 'JD'")],
        [("sponsor", "", "gala.sponsor", "unknown key 'sponsor'")],
    ),
    (
        "bad-enum-with-suggestion",
        "referral",
        [('status = "live"', 'status = "lve"')],
        [
            (
                "status",
                "",
                "status",
                "got 'lve'; expected 'draft', 'approved', 'live', 'paused' or 'ended'; "
                "did you mean 'live'?",
            )
        ],
    ),
    (
        "bad-enum-in-array-of-tables",
        "gala",
        [('name = "warm_up"', 'name = "warmup"')],
        [
            (
                'name = "warmup"',
                "",
                "gala.phases[0].name",
                "got 'warmup'; expected 'warm_up', 'gala_night' or 'retention'; "
                "did you mean 'warm_up'?",
            )
        ],
    ),
    (
        "bad-pattern-currency",
        "referral",
        [("amount = 1_000_000", 'amount = 1_000_000\ncurrency = "yuan"')],
        [
            (
                "currency",
                "",
                "budget.currency",
                "a currency is a 3-letter ISO 4217 code such as 'CNY'",
            )
        ],
    ),
    (
        "bad-pattern-division-code-in-array",
        "referral",
        [('"522634"]', '"52263"]')],
        [
            (
                '"52263"',
                "",
                "referral.eligibility.regions[1]",
                "'52263' is not a 6-digit GB/T 2260 division code",
            )
        ],
    ),
    (
        "inline-table-positions",
        "referral",
        [
            (
                "[window]\nstart = 2025-01-13\nend = 2025-02-28\n",
                'window = { start = 2025-01-13, end = 2025-01-01, timezone = "Mars/Olympus" }\n',
            )
        ],
        [
            ("end = 2025-01-01", "", "window.end", "end 2025-01-01 is before start 2025-01-13"),
            (
                "timezone",
                "window = {",
                "window.timezone",
                "unknown timezone 'Mars/Olympus' (use an IANA name)",
            ),
        ],
    ),
    (
        "inline-tables-in-multiline-array",
        "referral",
        [
            (
                '[pacing]\ncurve = "linear"',
                '[pacing]\ncurve = "checkpoints"\ncheckpoints = [\n'
                "  { date = 2025-01-20, share = 0.5 },\n"
                "  { date = 2025-01-19, share = 0.4 },\n"
                "  { date = 2025-03-19, portion = 1.0 },\n]",
            )
        ],
        # the semantic rules (dates not ascending) run only once the structure is valid
        [
            (
                "{ date = 2025-03-19",
                "",
                "pacing.checkpoints[2].share",
                "missing required key 'share'",
            ),
            ("portion", "", "pacing.checkpoints[2].portion", "unknown key 'portion'"),
        ],
    ),
    (
        "multi-line-value-stays-on-one-line",
        "partnership",
        [('email = "commerce@leishan.example.cn"', 'email = """commerce\nleishan"""')],
        [
            (
                "email",
                "[[partnership.contacts]]",
                "partnership.contacts[0].email",
                "'commerce\\nleishan' is not an email",
            )
        ],
    ),
    (
        "id-does-not-match-file-name",
        "referral",
        [('id = "referral"', 'id = "welcome"')],
        [("id =", "", "id", "id 'welcome' does not match the file name 'referral.toml'")],
    ),
    (
        "id-pattern",
        "referral",
        [('id = "referral"', 'id = "Referral 2025"')],
        [
            (
                "id =",
                "",
                "id",
                "ids are lower-case letters, digits, '-' and '_', starting with a letter or digit",
            )
        ],
    ),
    (
        "many-errors-sorted-by-line",
        "gala",
        [
            ("capacity_rps = 10_000_000", "capacity_rps = 0"),
            ('owner = "gala-war-room"', 'owner = "gala-war-room"\ncolour = "red"'),
            ("top_prize = 8_888.0", "top_prize = -1.0"),
            ("amount = 500_000_000", "amount = 5e8\ncurency = 'CNY'"),
        ],
        [
            ("colour", "", "colour", "unknown key 'colour'"),
            ("curency", "", "budget.curency", "unknown key 'curency'; did you mean 'currency'?"),
            ("capacity_rps", "", "gala.capacity_rps", "should be greater than 0 (got 0)"),
            (
                "top_prize",
                "",
                "gala.rounds[0].top_prize",
                "should be greater than or equal to 0 (got -1.0)",
            ),
        ],
    ),
]


RULES: list[Case] = [
    # --- every kind ---
    (
        "end-before-start",
        "referral",
        [("end = 2025-02-28", "end = 2025-01-01")],
        [("end = 2025-01-01", "", "window.end", "end 2025-01-01 is before start 2025-01-13")],
    ),
    (
        "unknown-timezone",
        "partnership",
        [("end = 2025-09-30", 'end = 2025-09-30\ntimezone = "Beijing"')],
        [("timezone", "", "window.timezone", "unknown timezone 'Beijing' (use an IANA name)")],
    ),
    (
        "checkpoints-curve-without-checkpoints",
        "referral",
        [('curve = "linear"', 'curve = "checkpoints"')],
        [
            (
                "[pacing]",
                "",
                "pacing.checkpoints",
                "curve 'checkpoints' needs at least one checkpoint",
            )
        ],
    ),
    (
        "checkpoints-without-their-curve",
        "referral",
        [
            (
                'curve = "linear"',
                'curve = "linear"\ncheckpoints = [{ date = 2025-02-01, share = 0.5 }]',
            )
        ],
        [
            (
                "checkpoints",
                "",
                "pacing.checkpoints",
                "checkpoints are only used with curve = 'checkpoints'",
            )
        ],
    ),
    (
        "phases-curve-outside-gala",
        "referral",
        [('curve = "linear"', 'curve = "phases"')],
        [("curve", "", "pacing.curve", "curve 'phases' is only for gala campaigns")],
    ),
    (
        "checkpoint-outside-window",
        "referral",
        [
            (
                'curve = "linear"',
                'curve = "checkpoints"\n\n[[pacing.checkpoints]]\ndate = 2025-03-31\nshare = 1.0',
            )
        ],
        [
            (
                "date = 2025-03-31",
                "",
                "pacing.checkpoints[0].date",
                "2025-03-31 is outside the window 2025-01-13..2025-02-28",
            )
        ],
    ),
    (
        "checkpoints-not-ascending",
        "referral",
        [
            (
                '[pacing]\ncurve = "linear"',
                '[pacing]\ncurve = "checkpoints"\ncheckpoints = [\n'
                "  { date = 2025-01-20, share = 0.5 },\n"
                "  { date = 2025-01-19, share = 0.4 },\n]",
            )
        ],
        [
            (
                "date = 2025-01-19",
                "",
                "pacing.checkpoints[1].date",
                "checkpoint dates must be ascending",
            ),
            (
                "share = 0.4",
                "",
                "pacing.checkpoints[1].share",
                "share 0.4 falls below the previous checkpoint's 0.5",
            ),
        ],
    ),
    (
        "at-risk-above-on-track",
        "gala",
        [("[gala]", "[thresholds]\non_track = 0.9\nat_risk = 0.95\n\n[gala]")],
        [("at_risk", "", "thresholds.at_risk", "at_risk 0.95 is above on_track 0.9")],
    ),
    (
        "activated-above-acquired",
        "referral",
        [("activated = 60_000", "activated = 160_000")],
        [
            (
                "activated",
                "",
                "targets.activated",
                "activated target 160,000 exceeds the acquired target 100,000",
            )
        ],
    ),
    (
        "budget-spend-above-budget",
        "partnership",
        [("acquired = 50_000", "acquired = 50_000\nbudget_spend = 1_500_000")],
        [
            (
                "budget_spend",
                "",
                "targets.budget_spend",
                "budget_spend 1,500,000 exceeds the budget 1,200,000",
            )
        ],
    ),
    (
        "segment-unknown-channel",
        "referral",
        [('value = "wechat_share"', 'value = "wechat"')],
        [
            (
                'value = "wechat"',
                "",
                "targets.segments[0].value",
                "unknown channel 'wechat'; did you mean 'wechat_share'?",
            )
        ],
    ),
    (
        "segment-unknown-age-band",
        "referral",
        [('value = "18-24"', 'value = "18-25"')],
        [
            (
                'value = "18-25"',
                "",
                "targets.segments[1].value",
                "unknown age band '18-25' "
                "(one of under-18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+)",
            )
        ],
    ),
    (
        "segment-unreal-region",
        "gala",
        [
            (
                "peak_concurrent_users = 20_000_000",
                "peak_concurrent_users = 20_000_000\n\n[[targets.segments]]\n"
                'dimension = "region"\nvalue = "529999"\ntarget = 1_000',
            )
        ],
        [
            (
                'value = "529999"',
                "",
                "targets.segments[0].value",
                "'529999' is not a GB/T 2260 division code",
            )
        ],
    ),
    (
        "segment-duplicate",
        "referral",
        [
            (
                'dimension = "age_band"\nvalue = "18-24"',
                'dimension = "channel"\nvalue = "wechat_share"',
            )
        ],
        [
            (
                "[[targets.segments]]",
                "target = 50_000",
                "targets.segments[1]",
                "duplicate acquired target for wechat_share",
            )
        ],
    ),
    # --- referral ---
    (
        "active-days-missing",
        "referral",
        [('qualifying_action = "activation"', 'qualifying_action = "active_days"')],
        [
            (
                "[referral]",
                "",
                "referral.active_days",
                "required when qualifying_action = 'active_days'",
            )
        ],
    ),
    (
        "active-days-unused",
        "referral",
        [('qualifying_action = "activation"', 'qualifying_action = "signup"\nactive_days = 3')],
        [
            (
                "active_days",
                "",
                "referral.active_days",
                "only used with qualifying_action = 'active_days'",
            )
        ],
    ),
    (
        "reward-currency-differs-from-budget",
        "referral",
        [("referee = 12.0", 'referee = 12.0\ncurrency = "USD"')],
        [
            (
                'currency = "USD"',
                "",
                "referral.rewards.currency",
                "rewards are in USD but the budget is in CNY",
            )
        ],
    ),
    (
        "tiers-not-ascending",
        "referral",
        [("invites = 10", "invites = 2")],
        [
            (
                "invites = 2",
                "",
                "referral.rewards.tiers[1].invites",
                "tiers must be ascending: 2 invites after 3",
            )
        ],
    ),
    (
        "referee-reward-above-pool",
        "referral",
        [("referee = 12.0", "referee = 900_000.0")],
        [
            (
                "referee",
                "",
                "referral.rewards.referee",
                "referee reward 900,000.00 is above the total pool 800,000.00",
            )
        ],
    ),
    (
        "pool-above-budget",
        "referral",
        [("pool = 800_000.0", "pool = 1_200_000.0")],
        [("pool", "", "referral.caps.pool", "reward pool 1,200,000 exceeds the budget 1,000,000")],
    ),
    (
        "daily-cap-above-campaign-cap",
        "referral",
        [("per_referrer_daily = 10", "per_referrer_daily = 60")],
        [
            (
                "per_referrer_daily",
                "",
                "referral.caps.per_referrer_daily",
                "daily cap is above the per-campaign cap",
            )
        ],
    ),
    (
        "daily-amount-cap-above-campaign-amount-cap",
        "referral",
        [
            (
                "per_referrer = 50",
                "per_referrer = 50\nper_referrer_daily_amount = 500.0\nper_referrer_amount = 400.0",
            )
        ],
        [
            (
                "per_referrer_daily_amount",
                "",
                "referral.caps.per_referrer_daily_amount",
                "daily amount cap is above the per-campaign amount cap",
            )
        ],
    ),
    (
        "unknown-referral-channel",
        "referral",
        [('channels = ["wechat_share", "in_app"]', 'channels = ["wechat_share", "weibo"]')],
        [
            (
                '"weibo"',
                "",
                "referral.channels[1]",
                "unknown channel 'weibo'",
            )
        ],
    ),
    (
        "unknown-eligibility-channel",
        "referral",
        [
            (
                'regions = ["110000", "522634"]',
                'regions = ["110000", "522634"]\nchannels = ["sms", "in-app"]',
            )
        ],
        [
            (
                '"in-app"',
                "",
                "referral.eligibility.channels[1]",
                "unknown channel 'in-app'; did you mean 'in_app'?",
            )
        ],
    ),
    (
        "unreal-eligibility-region",
        "referral",
        [('"522634"]', '"522699"]')],
        [
            (
                '"522699"',
                "",
                "referral.eligibility.regions[1]",
                "'522699' is not a GB/T 2260 division code",
            )
        ],
    ),
    # --- partnership ---
    (
        "unreal-division-code",
        "partnership",
        [('divisions = ["522634"]', 'divisions = ["522634", "522699"]')],
        [
            (
                '"522699"',
                "",
                "partnership.partner.divisions[1]",
                "'522699' is not a GB/T 2260 division code",
            )
        ],
    ),
    (
        "division-level-mismatch",
        "partnership",
        [
            ('divisions = ["522634"]', 'divisions = ["522600"]'),
            ('value = "522634"', 'value = "522600"'),
        ],
        [
            (
                '"522600"]',
                "",
                "partnership.partner.divisions[0]",
                "522600 (黔东南苗族侗族自治州) is a prefecture-level code, "
                "but partner.level is 'county'",
            )
        ],
    ),
    (
        "agreement-end-before-start",
        "partnership",
        [("end = 2026-03-31", "end = 2025-03-31")],
        [
            (
                "end = 2025-03-31",
                "",
                "partnership.agreement.end",
                "end 2025-03-31 is before start 2025-04-01",
            )
        ],
    ),
    (
        "agreement-signed-after-end",
        "partnership",
        [("signed = 2025-03-18", "signed = 2026-05-18")],
        [
            (
                "signed",
                "",
                "partnership.agreement.signed",
                "signed 2026-05-18, after the agreement ends on 2026-03-31",
            )
        ],
    ),
    (
        "milestone-outside-window",
        "partnership",
        [("due = 2025-04-22", "due = 2025-10-22")],
        [
            (
                "due = 2025-10-22",
                "",
                "partnership.milestones[0].due",
                "milestone due 2025-10-22 is outside the window 2025-04-01..2025-09-30",
            )
        ],
    ),
    (
        "milestone-done-on-without-done",
        "partnership",
        [
            (
                'owner = "partner-relations"\n\n[[partnership.contacts]]',
                'owner = "partner-relations"\ndone_on = 2025-04-20\n\n[[partnership.contacts]]',
            )
        ],
        [
            (
                "done_on",
                "",
                "partnership.milestones[0].done_on",
                "done_on is set but done = false",
            )
        ],
    ),
    (
        "region-target-outside-partnership",
        "partnership",
        [('value = "522634"', 'value = "522632"')],
        [
            (
                'value = "522632"',
                "",
                "targets.segments[0].value",
                "region 522632 (榕江县) is not covered by the partnership",
            )
        ],
    ),
    (
        "contact-bad-email-and-phone",
        "partnership",
        [
            (
                'email = "commerce@leishan.example.cn"',
                'email = "commerce at leishan"\nphone = "12345"',
            )
        ],
        [
            (
                "email",
                "[[partnership.contacts]]",
                "partnership.contacts[0].email",
                "'commerce at leishan' is not an email",
            ),
            (
                "phone",
                "[[partnership.contacts]]",
                "partnership.contacts[0].phone",
                "not a phone number",
            ),
        ],
    ),
    (
        "contact-without-email-or-phone",
        "partnership",
        [('email = "commerce@leishan.example.cn"\n', "")],
        [
            (
                "[[partnership.contacts]]",
                "",
                "partnership.contacts[0]",
                "a contact needs an email or a phone",
            )
        ],
    ),
    # --- gala ---
    (
        "eve-not-lunar-new-years-eve",
        "gala",
        [("year = 2027", "year = 2027\neve = 2027-02-06")],
        [
            (
                "eve = ",
                "",
                "gala.eve",
                "2027-02-06 is not Lunar New Year's Eve 2027 (2027-02-05); "
                "set eve_override = true to keep it",
            ),
        ],
    ),
    (
        "eve-override-without-eve",
        "gala",
        [("year = 2027", "year = 2027\neve_override = true")],
        [("eve_override", "", "gala.eve_override", "eve_override needs an explicit eve date")],
    ),
    (
        "gala-night-outside-window",
        "gala",
        [("start = 2027-01-30\nend = 2027-03-07", "start = 2027-02-06\nend = 2027-03-07")],
        [
            # the derived eve (2027-02-05) is reported at `year`; the phases and the rounds
            # that fall before the new start are reported too
            (
                "year",
                "",
                "gala.year",
                "gala night 2027-02-05 is outside the window 2027-02-06..2027-03-07",
            ),
            (
                "start = 2027-01-30",
                "",
                "gala.phases[0].start",
                "phase 2027-01-30..2027-02-04 is outside the window 2027-02-06..2027-03-07",
            ),
            (
                "start = 2027-02-05",
                "",
                "gala.phases[1].start",
                "phase 2027-02-05..2027-02-06 is outside the window 2027-02-06..2027-03-07",
            ),
            (
                "at = 2027-02-05T20:05:00",
                "",
                "gala.rounds[0].at",
                "round at 2027-02-05 20:05 is outside the window 2027-02-06..2027-03-07",
            ),
            (
                "at = 2027-02-05T23:50:00",
                "",
                "gala.rounds[1].at",
                "round at 2027-02-05 23:50 is outside the window 2027-02-06..2027-03-07",
            ),
        ],
    ),
    (
        "phase-shares-do-not-sum-to-one",
        "gala",
        [
            (
                'share = 0.2\n\n[[gala.phases]]\nname = "gala_night"',
                'share = 0.15\n\n[[gala.phases]]\nname = "gala_night"',
            )
        ],
        [("[[gala.phases]]", "", "gala.phases", "phase shares sum to 0.95, not 1")],
    ),
    (
        "phase-end-before-start",
        "gala",
        [("end = 2027-03-07\nshare", "end = 2027-02-06\nshare")],
        [
            (
                "end = 2027-02-06",
                "retention",
                "gala.phases[2].end",
                "end 2027-02-06 is before start 2027-02-07",
            )
        ],
    ),
    (
        "phase-outside-window",
        "gala",
        [("end = 2027-03-07\nshare", "end = 2027-03-09\nshare")],
        [
            (
                "start = 2027-02-07",
                "",
                "gala.phases[2].start",
                "phase 2027-02-07..2027-03-09 is outside the window 2027-01-30..2027-03-07",
            )
        ],
    ),
    (
        "phases-overlap",
        "gala",
        [("start = 2027-02-07", "start = 2027-02-06")],
        [
            (
                "start = 2027-02-06",
                "",
                "gala.phases[2].start",
                "phases must be in order and must not overlap",
            )
        ],
    ),
    (
        "gala-night-phase-without-the-eve",
        "gala",
        [
            ("start = 2027-02-05\nend = 2027-02-06", "start = 2027-02-06\nend = 2027-02-06"),
            ("end = 2027-02-04", "end = 2027-02-05"),
        ],
        [
            (
                "start = 2027-02-06",
                "",
                "gala.phases[1].start",
                "the gala_night phase does not contain the eve 2027-02-05",
            )
        ],
    ),
    (
        "round-outside-window",
        "gala",
        [("at = 2027-02-05T23:50:00", "at = 2027-03-08T23:50:00")],
        [
            (
                "at = 2027-03-08",
                "",
                "gala.rounds[1].at",
                "round at 2027-03-08 23:50 is outside the window 2027-01-30..2027-03-07",
            )
        ],
    ),
    (
        "round-time-with-offset",
        "gala",
        [("at = 2027-02-05T20:05:00", "at = 2027-02-05T20:05:00+08:00")],
        [
            (
                "at = 2027-02-05T20:05:00+08:00",
                "",
                "gala.rounds[0].at",
                "write the local time without an offset (2027-02-05T20:05:00); "
                "the window's timezone Asia/Shanghai applies",
            )
        ],
    ),
    (
        "top-prize-above-round-pool",
        "gala",
        [("top_prize = 8_888.0", "top_prize = 200_000_000.0")],
        [
            (
                "top_prize",
                "",
                "gala.rounds[0].top_prize",
                "top prize is larger than the round's prize pool",
            )
        ],
    ),
    (
        "prize-pools-above-budget",
        "gala",
        [("amount = 500_000_000", "amount = 250_000_000")],
        [
            (
                "[[gala.rounds]]",
                "",
                "gala.rounds",
                "prize pools add up to 300,000,000, above the budget 250,000,000",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("kind", "edits", "expected"),
    [pytest.param(k, e, x, id=i) for i, k, e, x in STRUCTURE + RULES],
)
def test_broken_spec_reports_exact_lines(invoke, workspace, kind, edits, expected) -> None:  # type: ignore[no-untyped-def]
    text = broken(workspace, kind, *edits)
    path = f"campaigns/{kind}.toml"
    lines = [
        f"{path}:{at(text, needle, after) if needle else '1:1'}: {key}: {message}"
        for needle, after, key, message in expected
    ]
    code, out = run(invoke, kind)
    assert out == lines
    assert code == 1


@pytest.mark.parametrize("kind", ["referral", "partnership", "gala"])
def test_corpus_bases_are_valid(invoke, workspace, kind) -> None:  # type: ignore[no-untyped-def]
    broken(workspace, kind)
    assert run(invoke, kind) == (0, [])
