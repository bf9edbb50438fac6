"""Planning before launch: growth models, budget and capacity checks, the campaign brief.

Public API::

    from xhsgrow.planning import plan_campaign, run_sweep, parse_sweep, render_brief
    from xhsgrow.planning import fail_severities              # plan --fail-on LEVEL
    from xhsgrow.planning.projection import expected_shares   # tracking's curve = "plan"
"""

from xhsgrow.planning.core import plan_campaign
from xhsgrow.planning.result import Finding, Plan, Sweep, fail_severities
from xhsgrow.planning.sweep import parse_sweep, run_sweep

__all__ = [
    "Finding",
    "Plan",
    "Sweep",
    "fail_severities",
    "parse_sweep",
    "plan_campaign",
    "run_sweep",
]
