"""The approval brief: a campaign and its plan, rendered from templates (md or html, en or zh).

Templates: ``brief/<lang>/brief.<fmt>`` holds the wording, ``brief/_body.<fmt>`` the layout;
a file of the same name in the workspace's ``templates/`` folder wins over the built-in one.
This module only gathers plain data for them (no Jinja2 at import time).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xhsgrow.errors import UsageError
from xhsgrow.planning.figures import amount, percents_apart
from xhsgrow.planning.result import Plan
from xhsgrow.rendering.filters import money, percent, thousands

FORMATS = ("md", "html")
LANGS = ("en", "zh")


def render_brief(
    campaign: Any,
    *,
    fmt: str = "md",
    lang: str = "en",
    templates: Path | None = None,
    plan: Plan | None = None,
    today: dt.date | None = None,
) -> str:
    """The brief's text. ``templates`` is the workspace's templates/ folder (may be absent)."""
    from jinja2 import TemplateError, TemplateNotFound

    from xhsgrow.planning.core import plan_campaign
    from xhsgrow.rendering.env import make_env

    if fmt not in FORMATS:
        raise UsageError(f"unknown brief format '{fmt}'; expected one of {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise UsageError(f"unknown language '{lang}'; expected one of {', '.join(LANGS)}")
    plan = plan or plan_campaign(campaign)
    context = brief_context(campaign, plan, lang=lang, fmt=fmt, today=today)
    env = make_env(templates)
    name = f"brief/{lang}/brief.{fmt}"
    try:
        return str(env.get_template(name).render(**context))
    except TemplateNotFound as exc:
        raise UsageError(f"template {exc.name} not found (needed by {name})") from None
    except TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        at = f"{where}:{line}" if line else where
        raise UsageError(f"{at}: template error: {exc.message or exc}") from None


def brief_format(out: Path | None, given: str | None) -> str:
    """The brief's format: ``given`` (--format), else --out's suffix (.md, .html), else md;
    a ``given`` that contradicts a .md or .html suffix is a UsageError."""
    from xhsgrow.rendering.formats import output_format

    return output_format(out, given, formats=FORMATS, default="md")


def write_output(path: Path, text: str) -> None:
    """Write atomically: a half-written brief never replaces a good one. Missing folders
    are made, as ``report --out`` makes them."""
    from xhsgrow.fileio import write_text_atomic

    if path.is_dir():
        raise UsageError(f"--out {path} is a folder; name a file")
    write_text_atomic(path, text, make_parents=True)


# --- context ---------------------------------------------------------------------------------


def brief_context(
    campaign: Any, plan: Plan, *, lang: str, fmt: str, today: dt.date | None = None
) -> dict[str, Any]:
    """Plain data for the brief templates; every list is ready to print in ``lang``."""

    def L(en: str, zh: str) -> str:  # reads like a translation call
        return zh if lang == "zh" else en

    c = campaign
    cur = c.budget.currency
    ctx: dict[str, Any] = {
        "lang": lang,
        "fmt": fmt,
        "generated": (today or dt.date.today()).isoformat(),
        "c": {
            "id": c.id,
            "name": c.name,
            "kind": c.kind,
            "owner": c.owner,
            "status": c.status,
            "notes": " ".join(c.notes.split()),
            "start": c.window.start.isoformat(),
            "end": c.window.end.isoformat(),
            "days": (c.window.end - c.window.start).days + 1,
            "timezone": c.window.timezone,
            "budget": money(c.budget.amount, cur),
            "tags": list(c.tags),
        },
        "audience": _audience(c, L),
        "mechanics": _mechanics(c, L),
        "rewards": _rewards(c, L),
        "targets": _targets(c, L),
        "pacing": _pacing(c, plan, L, fmt),
        "projection": _projection(c, plan, L),
        "risks": _risks(c, plan, L),
        "owners": _owners(c, L),
        "milestones": _milestones(c, L),
        "timeline_chart": "",
    }
    if fmt == "html" and plan.partnership is not None:
        from xhsgrow.planning.gantt import gantt_svg

        ctx["timeline_chart"] = gantt_svg(
            plan.partnership.timeline,
            title=L("Commitments and milestones", "承诺与里程碑"),
            late_label=L("after the agreement", "晚于协议"),
        )
    return ctx


def _region_names(codes: list[str]) -> str:
    from xhsgrow.specs import divisions

    return ", ".join(f"{divisions.name(code)} ({code})" for code in codes)


def _audience(c: Any, L: Any) -> list[str]:
    out = []
    if c.kind == "referral":
        e = c.referral.eligibility
        out.append(
            L("Regions: ", "地区：")
            + (_region_names(e.regions) if e.regions else L("everywhere", "全国"))
        )
        out.append(L("Channels: ", "渠道：") + ", ".join(c.referral.channels))
        if e.new_device_only:
            out.append(L("New devices only", "仅限新设备"))
    elif c.kind == "partnership":
        p = c.partnership.partner
        out.append(f"{p.name} ({p.level}): {_region_names(list(p.divisions))}")
    else:
        out.append(
            L(
                f"The Spring Festival Gala's national audience on {_eve(c)} "
                "and the weeks around it",
                f"{_eve(c)} 春晚全国观众及前后数周",
            )
        )
    for seg in c.targets.segments:
        if seg.dimension == "age_band":
            out.append(
                L(f"Age band {seg.value}", f"年龄段 {seg.value}") + f": {thousands(seg.target)}"
            )
        elif seg.dimension == "channel" and c.kind != "referral":
            out.append(
                L(f"Channel {seg.value}", f"渠道 {seg.value}") + f": {thousands(seg.target)}"
            )
    return out


def _eve(c: Any) -> str:
    from xhsgrow.planning.gala import gala_eve

    return gala_eve(c).isoformat()


def _mechanics(c: Any, L: Any) -> list[str]:
    if c.kind == "referral":
        r = c.referral
        action = {
            "signup": L("signs up", "注册"),
            "activation": L(
                f"activates within {c.window.activation_days} days",
                f"在 {c.window.activation_days} 天内激活",
            ),
            "active_days": L(f"is active on {r.active_days} days", f"活跃 {r.active_days} 天"),
        }[r.qualifying_action]
        return [
            L(
                f"Double-sided referral: a reward is earned when the invited friend {action}",
                f"双向邀请：被邀请好友{action}后发放奖励",
            ),
            L(
                f"Rewards are held {r.hold_days} days before payment",
                f"奖励冻结 {r.hold_days} 天后发放",
            ),
        ]
    if c.kind == "partnership":
        p = c.partnership
        out = [
            L(f"Programme: {p.programme}", f"项目：{p.programme}"),
            L(
                f"Agreement signed {p.agreement.signed}, "
                f"runs {p.agreement.start} → {p.agreement.end}",
                f"协议 {p.agreement.signed} 签署，有效期 {p.agreement.start} → {p.agreement.end}",
            ),
        ]
        for cm in p.commitments:
            qty = f" {thousands(cm.quantity)} {cm.unit}".rstrip() if cm.quantity is not None else ""
            due = f" ({L('due', '截止')} {cm.due})" if cm.due else ""
            out.append(
                f"{L(cm.party, '平台' if cm.party == 'platform' else '政府')}: {cm.what}{qty}{due}"
            )
        return out
    g = c.gala
    out = [
        L(
            f"{len(g.rounds)} red-envelope round(s) on the night of {_eve(c)}",
            f"{_eve(c)} 当晚 {len(g.rounds)} 轮红包",
        )
    ]
    for rd in g.rounds:
        wechat = L(", shared to WeChat", "，分享到微信") if rd.shares_to_wechat else ""
        out.append(
            f"{rd.at:%H:%M} {rd.name}: {rd.mechanic}, {rd.duration_minutes} "
            + L("min", "分钟")
            + f", {thousands(rd.expected_participants)} "
            + L("participants", "人参与")
            + wechat
        )
    for task in g.warm_up:
        wechat = L(", shared to WeChat", "，分享到微信") if task.shares_to_wechat else ""
        out.append(L("Warm-up: ", "预热：") + f"{task.name} ({task.mechanic}{wechat})")
    return out


def _rewards(c: Any, L: Any) -> list[str]:
    cur = c.budget.currency
    if c.kind == "referral":
        rw, caps = c.referral.rewards, c.referral.caps
        referrer, referee = money(rw.referrer, rw.currency, 2), money(rw.referee, rw.currency, 2)
        out = [
            L(
                f"Referrer {referrer}, referee {referee} per qualifying referee",
                f"每个合格被邀请人：邀请人 {referrer}，被邀请人 {referee}",
            )
        ]
        for tier in rw.tiers:
            out.append(
                L(
                    f"Tier: {tier.invites} invites → bonus {amount(tier.bonus, rw.currency)}",
                    f"阶梯：邀请 {tier.invites} 人 → 奖励 {amount(tier.bonus, rw.currency)}",
                )
            )
        caps_en, caps_zh = [], []
        if caps.per_referrer_daily:
            caps_en.append(f"{caps.per_referrer_daily}/day")
            caps_zh.append(f"每日 {caps.per_referrer_daily} 人")
        if caps.per_referrer_daily_amount:
            caps_en.append(f"{amount(caps.per_referrer_daily_amount, cur)}/day")
            caps_zh.append(f"每日 {amount(caps.per_referrer_daily_amount, cur)}")
        if caps.per_referrer:
            caps_en.append(f"{caps.per_referrer} per campaign")
            caps_zh.append(f"活动期 {caps.per_referrer} 人")
        if caps.per_referrer_amount:
            caps_en.append(f"{amount(caps.per_referrer_amount, cur)} per campaign")
            caps_zh.append(f"活动期 {amount(caps.per_referrer_amount, cur)}")
        if caps_en:
            out.append(
                L(
                    "Per-referrer caps: " + ", ".join(caps_en),
                    "单个邀请人上限：" + "，".join(caps_zh),
                )
            )
        out.append(L(f"Reward pool {money(caps.pool, cur)}", f"奖池 {money(caps.pool, cur)}"))
        return out
    if c.kind == "gala":
        out = []
        for rd in c.gala.rounds:
            top = (
                amount(rd.top_prize, cur) if rd.top_prize is not None else L("not stated", "未写明")
            )
            out.append(
                f"{rd.name}: "
                + L(
                    f"pool {money(rd.prize_pool, cur)}, top prize {top}",
                    f"奖池 {money(rd.prize_pool, cur)}，最高奖 {top}",
                )
            )
        total = sum(rd.prize_pool for rd in c.gala.rounds)
        out.append(L(f"Prize pools in total {money(total, cur)}", f"奖池合计 {money(total, cur)}"))
        return out
    return [
        L(
            "No cash rewards: the platform commits traffic, training and events (see mechanics)",
            "无现金奖励：平台投入流量、培训和活动（见玩法）",
        )
    ]


_METRIC_NAMES = {
    "acquired": ("New users acquired", "获客"),
    "activated": ("Activated users", "激活用户"),
    "retention_d1": ("Retention D1", "次日留存"),
    "retention_d7": ("Retention D7", "7 日留存"),
    "retention_d30": ("Retention D30", "30 日留存"),
    "cost_per_activated": ("Cost per activated user (ceiling)", "单个激活成本（上限）"),
    "budget_spend": ("Planned spend", "计划花费"),
    "k_factor": ("K-factor", "K 因子"),
    "merchants_onboarded": ("Merchants onboarded", "入驻商家"),
    "peak_concurrent_users": ("Peak concurrent users", "峰值同时在线"),
}


def _targets(c: Any, L: Any) -> list[dict[str, str]]:
    cur = c.budget.currency
    out = []
    for key, (en, zh) in _METRIC_NAMES.items():
        value = getattr(c.targets, key, None)
        if value is None:
            continue
        if key.startswith("retention"):
            shown = percent(value, 0)
        elif key in ("cost_per_activated", "budget_spend"):
            shown = money(value, cur, 2 if key == "cost_per_activated" else 0)
        elif key == "k_factor":
            shown = f"{value:g}"
        else:
            shown = thousands(value)
        out.append({"metric": key, "label": L(en, zh), "value": shown})
    for seg in c.targets.segments:
        label = seg.value
        if seg.dimension == "region":
            from xhsgrow.specs import divisions

            label = f"{divisions.name(seg.value)} ({seg.value})"
        metric_en, metric_zh = _METRIC_NAMES.get(seg.metric, (seg.metric, seg.metric))
        out.append(
            {
                "metric": f"{seg.dimension}:{seg.value}:{seg.metric}",
                "label": f"{L(metric_en, metric_zh)} · {label}",
                "value": money(seg.target, cur) if seg.metric == "cost" else thousands(seg.target),
            }
        )
    return out


_CURVES = {
    "linear": ("evenly over the window", "在活动期内均匀"),
    "front-loaded": ("front-loaded: most of it early", "前重：大部分在前期"),
    "back-loaded": ("back-loaded: most of it late", "后重：大部分在后期"),
    "checkpoints": ("through the dated checkpoints", "按日期检查点"),
    "phases": ("by gala phase", "按春晚阶段"),
    "plan": ("along the plan's own projection", "按规划模型的预测"),
}


def _pacing(c: Any, plan: Plan, L: Any, fmt: str) -> dict[str, Any]:
    from xhsgrow.tracking.pacing import curve  # the very curve tracking paces against

    shares = curve(c)
    en, zh = _CURVES[c.pacing.curve]
    marks = []
    for frac in (0.25, 0.5, 0.75):
        i = min(len(shares) - 1, max(0, round(len(shares) * frac) - 1))
        marks.append({"day": shares[i][0].isoformat(), "share": percent(shares[i][1], 0)})
    chart = ""
    if fmt == "html":
        from xhsgrow.rendering.charts import PALETTE, Series, line_chart

        series = [
            Series(
                L("expected share of each target", "各目标预期完成比例"),
                shares,
                colour=PALETTE["expected"],
            )
        ]
        if c.pacing.curve != "plan" and c.kind != "partnership":
            series.append(
                Series(
                    L("plan's projection", "模型预测"),
                    plan.projection,
                    colour=PALETTE["actual"],
                    dashed=True,
                    width=2,
                )
            )
        chart = line_chart(
            series,
            title=L("Pacing curve", "进度曲线"),
            desc=L(
                f"Cumulative share of each target expected by each day, {en}",
                f"每日预期累计完成比例，{zh}",
            ),
            y_format=lambda v: f"{v * 100:.0f}%",
            y_max=1.0,
            height=240,
        )
    return {"curve": c.pacing.curve, "description": L(en, zh), "marks": marks, "chart": chart}


def _projection(c: Any, plan: Plan, L: Any) -> list[dict[str, str]]:
    cur = plan.currency
    rows: list[tuple[str, str, str]] = []
    if plan.referral is not None:
        r = plan.referral
        rows += [
            (
                "K (invites × conversion × eligible share)",
                "K（邀请数 × 转化率 × 合格率）",
                f"{r.k_factor:.2f}",
            ),
            ("Seed inviters", "种子邀请人", thousands(r.seed_inviters)),
            ("Referred users acquired", "邀请获客", thousands(r.acquired)),
        ]
        if r.target_reached is not None:
            reached = (
                percents_apart(r.target_reached, 1.0)[0]  # 99.6% short of it, never 100%
                if r.target_reached < 1
                else percent(r.target_reached, 0)
            )
            rows.append(("Share of the acquired target", "占获客目标", reached))
        rows += [
            ("Rewards paid", "奖励支出", f"{money(r.rewards_paid, cur)} / {money(r.pool, cur)}"),
            (
                "Reward cost per acquired user",
                "单个获客奖励成本",
                money(r.cost_per_acquired, cur, 2),
            ),
            (
                "Pool runs out",
                "奖池耗尽",
                str(r.pool_runs_out)
                if r.pool_runs_out
                else L("not within the window", "活动期内不会耗尽"),
            ),
        ]
    if plan.gala is not None:
        g = plan.gala
        rows += [
            ("Peak second (all rounds)", "峰值每秒请求", f"{thousands(g.peak_rps)} rps"),
            ("Capacity", "容量", f"{thousands(g.capacity_rps)} rps"),
            (
                "Headroom" if g.headroom_rps >= 0 else "Shortfall",
                "余量" if g.headroom_rps >= 0 else "缺口",
                f"{thousands(abs(g.headroom_rps))} rps ({percent(abs(g.headroom_pct), 0)})",
            ),
            (
                "Prize pools / budget",
                "奖池 / 预算",
                f"{money(g.prize_pools, cur)} ({percent(g.budget_share, 0)})",
            ),
            ("Expected new users", "预计新增用户", thousands(g.expected_new_users)),
        ]
        for ph in g.phases:
            rows.append((f"· {ph.name}", f"· {ph.name}", thousands(ph.expected_new_users)))
        ret = ", ".join(f"D{d} {percent(v, 1)}" for d, v in g.retention.items())
        rows.append(("Retention assumed after the night", "假设的节后留存", ret))
    if plan.partnership is not None:
        p = plan.partnership
        for s in p.region_sums:
            total = thousands(s.total) if s.total is not None else "—"
            rows.append(
                (
                    f"Regional {s.metric} targets / total",
                    f"地区 {s.metric} 目标 / 总目标",
                    f"{thousands(s.regional)} / {total}",
                )
            )
        rows.append(
            (
                "Commitments / milestones",
                "承诺 / 里程碑",
                f"{len(c.partnership.commitments)} / {len(c.partnership.milestones)}",
            )
        )
    return [{"label": L(en, zh), "value": value} for en, zh, value in rows]


def _risks(c: Any, plan: Plan, L: Any) -> dict[str, Any]:
    fraud = []
    if c.kind == "referral":
        f = c.referral.fraud
        fraud = [
            L(
                f"At most {f.max_referees_per_device} referee(s) per device",
                f"每台设备最多 {f.max_referees_per_device} 个被邀请人",
            ),
            L(
                f"At most {f.max_referees_per_ip_cluster} referees per "
                f"/{f.ip_cluster_prefix} IP cluster",
                f"每个 /{f.ip_cluster_prefix} IP 段最多 {f.max_referees_per_ip_cluster} 个被邀请人",
            ),
            L(
                f"Burst: more than {f.burst_max_referees} referees in "
                f"{f.burst_window_minutes} min is flagged",
                f"突增：{f.burst_window_minutes} 分钟内超过 "
                f"{f.burst_max_referees} 个被邀请人即标记",
            ),
            L("Flagged for review, not blocked", "标记复核，不直接拦截"),
        ]
    capacity = ""
    if plan.gala is not None and plan.gala.rounds:
        g = plan.gala
        if g.headroom_rps >= 0:
            rps, pct = thousands(g.headroom_rps), percent(g.headroom_pct, 0)
            capacity = L(
                f"Headroom {rps} rps ({pct} of capacity) at the peak second",
                f"峰值时余量 {rps} 次/秒（容量的 {pct}）",
            )
        else:
            rps, pct = thousands(-g.headroom_rps), percent(-g.headroom_pct, 0)
            capacity = L(
                f"Shortfall {rps} rps ({pct} of capacity) at the peak second",
                f"峰值时缺口 {rps} 次/秒（容量的 {pct}）",
            )
        capacity += L(
            f"; peak-to-mean assumed {g.peak_to_mean:g}", f"；假设峰均比 {g.peak_to_mean:g}"
        )
    findings = [
        {
            "severity": f.severity,
            "code": f.code,
            "message": L(f.message, f.message_zh),
            "where": f.where,
        }
        for f in plan.findings
    ]
    # prize_cap_unchecked too: a brief must not say "no prize over the ¥50,000 cap" of a
    # budget in another currency, whose prizes the plan could not check
    legal_codes = ("prize_cap", "prize_cap_unchecked", "wechat_forbidden", "prize_not_stated")
    legal = [f for f in findings if f["code"] in legal_codes]
    return {
        "fraud": fraud,
        "capacity": capacity,
        "legal": legal,
        "legal_ok": c.kind == "gala" and not legal,
        "findings": findings,
        "errors": sum(1 for f in findings if f["severity"] == "error"),
        "warnings": sum(1 for f in findings if f["severity"] == "warning"),
    }


def _owners(c: Any, L: Any) -> list[dict[str, str]]:
    out = [{"role": L("Campaign owner", "活动负责人"), "name": c.owner}]
    if c.kind == "partnership":
        for person in c.partnership.contacts:
            role = ", ".join(x for x in (person.role, person.organisation) if x)
            out.append({"role": role or L("Partner contact", "合作方联系人"), "name": person.name})
    return out


def _milestones(c: Any, L: Any) -> list[dict[str, Any]]:
    if c.kind == "partnership":
        return [
            {"name": m.name, "due": m.due.isoformat(), "owner": m.owner, "done": m.done}
            for m in c.partnership.milestones
        ]
    if c.kind == "gala":
        names = {
            "warm_up": L("Warm-up", "预热"),
            "gala_night": L("Gala night", "春晚当晚"),
            "retention": L("Retention weeks", "留存期"),
        }
        return [
            {
                "name": names[ph.name],
                "due": f"{ph.start} → {ph.end}",
                "owner": c.owner,
                "done": False,
            }
            for ph in c.gala.phases
        ]
    return [
        {
            "name": L("Launch", "上线"),
            "due": c.window.start.isoformat(),
            "owner": c.owner,
            "done": False,
        },
        {
            "name": L("Campaign ends", "活动结束"),
            "due": c.window.end.isoformat(),
            "owner": c.owner,
            "done": False,
        },
    ]
