"""Edges of `track --data http://…` (docs/metrics.md, "Metrics from an HTTP endpoint"), run
against a real HTTP server on 127.0.0.1 started and stopped by each test.

The spec is tests/data/events/referral.toml: window 2025-01-10 .. 2025-01-20 (11 days, linear
curve), budget 1000, targets acquired 11, activated 3, retention_d1 0.3, k_factor 0.2,
cost_per_activated 12, and a channel/in_app segment target of 2 acquired. As of 2025-01-16,
7 of the 11 days have elapsed: s = 7/11.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.test_http_source import TOKEN, Server
from tests.test_track_metrics import DATA, make_workspace
from xhsgrow.net import http as net

#: The real RetryPolicy (the autouse fixture `policies` replaces it with a faster one).
REAL_POLICY = net.RetryPolicy
AS_OF = "2025-01-16"
S = 7 / 11  # elapsed share at the end of 2025-01-16

# Hand-worked payload for campaign "ref", as of 2025-01-16:
#   acquired        3 (01-10) + 2 (01-12) + 1 (01-16) = 6; 01-08 is before the window and
#                   01-17 after as-of: neither counts
#   activated       1 (01-10)
#   retention_d1    cohorts with day + 1 <= 01-16: 01-10 (1 of 3) and 01-12 (0 of 2) = 1/5;
#                   01-16's retained_d1 (1) is too young to count
#   retention_d7    no cohort inside the window is 7 days old: null
#   cost            8 + 3.5 (inside) + 2.5 (01-08, before the window: money is money) = 14.0
#   k_factor        referred_by_acquired 1 / acquired 6
PAYLOAD: dict[str, Any] = {
    "schema_version": 1,
    "campaigns": [
        {
            "id": "ref",
            "inviters": 2,
            "days": [
                {
                    "day": "2025-01-10",
                    "acquired": 3,
                    "activated": 1,
                    "referred_signups": 2,
                    "referred_by_acquired": 1,
                    "retained_d1": 1,
                    "retained_d7": 1,
                    "cost": 8,
                    "invites": 4,
                },
                {"day": "2025-01-12", "acquired": 2, "cost": 3.5, "invites": 1, "interactions": 3},
                {"day": "2025-01-16", "acquired": 1, "retained_d1": 1},
                {"day": "2025-01-08", "acquired": 9, "activated": 9, "cost": 2.5},
                {
                    "day": "2025-01-17",
                    "acquired": 50,
                    "activated": 50,
                    "retained_d1": 50,
                    "cost": 100,
                    "invites": 9,
                },
            ],
            "segments": [{"dimension": "channel", "value": "in_app", "acquired": 2}],
        }
    ],
    "data_quality": {"rows_read": 500, "rows_rejected": 0, "duplicates": 7},
}


def payload(**changes: Any) -> dict[str, Any]:
    """A deep copy of PAYLOAD with top-level keys replaced."""
    doc: dict[str, Any] = json.loads(json.dumps(PAYLOAD))
    doc.update(changes)
    return doc


def with_day(index: int, **fields: Any) -> dict[str, Any]:
    """PAYLOAD with fields of campaigns[0].days[index] replaced."""
    doc = payload()
    doc["campaigns"][0]["days"][index].update(fields)
    return doc


@dataclass
class Raw:
    """An answer sent as is: status, body bytes and extra headers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hang:
    """Accept the request and never answer (until the test ends)."""


@dataclass
class Drop:
    """Close the connection without answering."""


class EdgeServer(Server):
    """tests.test_http_source.Server, plus raw answers, hangs, dropped connections and the
    time and Accept header of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self.accepts: list[str | None] = []
        self.released = threading.Event()
        outer = self
        base = self.httpd.RequestHandlerClass

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                outer.times.append(time.monotonic())
                outer.accepts.append(self.headers.get("Accept"))
                nxt = outer.plan[0][1] if outer.plan else None
                if not isinstance(nxt, Raw | Hang | Drop):
                    super().do_GET()
                    return
                outer.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization")}
                )
                if len(outer.plan) > 1:
                    outer.plan.pop(0)
                if isinstance(nxt, Hang):
                    outer.released.wait(10)
                    self.close_connection = True
                    return
                if isinstance(nxt, Drop):
                    self.close_connection = True
                    return
                self.send_response(nxt.status)
                headers = {"Content-Type": "application/json", **nxt.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(nxt.body)))
                self.end_headers()
                self.wfile.write(nxt.body)

        self.httpd.RequestHandlerClass = Handler
        # poll for shutdown every 20 ms, not 0.5 s: teardown is then instant
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __exit__(self, *exc: Any) -> None:
        self.released.set()
        super().__exit__(*exc)


def raw(status: int, body: bytes = b"", **headers: str) -> tuple[int, Raw]:
    """A plan entry for EdgeServer (header names with _ for -)."""
    return (status, Raw(status, body, {k.replace("_", "-"): v for k, v in headers.items()}))


@pytest.fixture
def server() -> Iterator[EdgeServer]:
    with EdgeServer() as s:
        yield s


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    return make_workspace(tmp_path, DATA / "referral.toml")


@dataclass
class Policies:
    """What fetch_facts asked of xhsgrow.net.http.RetryPolicy, and the timeout really used."""

    asked: list[dict[str, Any]] = field(default_factory=list)
    timeout: float | None = None  # None: the one asked for


@pytest.fixture(autouse=True)
def policies(monkeypatch: pytest.MonkeyPatch) -> Policies:
    """Fast backoff (10 ms) so that retry tests take no time; tries and timeout as asked,
    except a test may shorten the timeout (no setting for it is documented)."""
    seen = Policies()

    def make(**kw: Any) -> net.RetryPolicy:
        seen.asked.append(dict(kw))
        if seen.timeout is not None:
            kw["timeout"] = seen.timeout
        return REAL_POLICY(**{**kw, "backoff": 0.01})

    monkeypatch.setattr(net, "RetryPolicy", make)
    return seen


def run(ws: Any, url: str, as_of: str = AS_OF, **kw: Any) -> Any:
    from xhsgrow.tracking.engine import track

    return track(ws, None, data=url, as_of=dt.date.fromisoformat(as_of), **kw)


def cli_ok(invoke: Any, url: str, *args: str) -> dict[str, Any]:
    r = invoke("track", "--data", url, "--as-of", AS_OF, "-f", "json", *args)
    assert r.exit_code == 0, r.output
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def cli_error(invoke: Any, url: str, *args: str) -> str:
    """Run `track --data URL -f json`; it must exit 2 with one line on stderr and write
    nothing to stdout. Returns that line."""
    r = invoke("track", "--data", url, "--as-of", AS_OF, "-f", "json", *args)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    assert "Traceback" not in r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    return lines[0]


def port_of(url: str) -> str:
    return url.split("/")[2]


# -- figures --------------------------------------------------------------------------------


def test_metrics_from_a_served_payload(ws: Any, server: EdgeServer) -> None:
    """The metrics are the payload's days inside the window and up to as-of (cost: any day)."""
    server.plan = [(200, PAYLOAD)]
    c = run(ws, server.url).campaigns[0]
    m = c.metrics
    assert (m["acquired"], m["activated"]) == (6, 1)
    assert m["activation_rate"] == pytest.approx(1 / 6)
    assert m["retention_d1"] == pytest.approx(1 / 5)
    assert m["retention_d7"] is None
    assert m["retention_d30"] is None
    assert (m["invites"], m["inviters"], m["referred_signups"]) == (5, 2, 2)
    assert m["invite_conversion"] == pytest.approx(2 / 5)
    assert m["k_factor"] == pytest.approx(1 / 6)
    assert m["cost"] == 14.0
    assert m["cost_per_activated"] == pytest.approx(14.0)
    assert m["budget_burn"] == pytest.approx(14 / 1000)
    assert (m["interactions"], m["merchants_onboarded"]) == (3, 0)


def test_daily_rows_cover_the_window_up_to_as_of(ws: Any, server: EdgeServer) -> None:
    """One daily row per day 01-10..01-16; the cost of 01-08 is in no row, 01-17 nowhere."""
    server.plan = [(200, PAYLOAD)]
    c = run(ws, server.url).campaigns[0]
    days = [r.day for r in c.daily]
    assert days == [dt.date(2025, 1, 10) + dt.timedelta(days=i) for i in range(7)]
    by_day = {r.day.isoformat(): (r.acquired, r.cost) for r in c.daily}
    assert by_day["2025-01-10"] == (3, 8.0)
    assert by_day["2025-01-12"] == (2, 3.5)
    assert by_day["2025-01-16"] == (1, 0.0)
    assert sum(r.cost for r in c.daily) == 11.5


def test_targets_pace_forecast_and_status(ws: Any, server: EdgeServer) -> None:
    """Each target is paced against s = 7/11 exactly as for raw events."""
    server.plan = [(200, PAYLOAD)]
    c = run(ws, server.url).campaigns[0]
    assert c.elapsed_share == pytest.approx(S)
    t = {x.metric: x for x in c.targets}
    acq = t["acquired"]  # 11 × 7/11 = 7 expected; 6 / 7 = 0.857: at risk
    assert (acq.actual, acq.expected_to_date) == (6.0, pytest.approx(7.0))
    assert acq.pace == pytest.approx(6 / 7)
    assert acq.forecast == pytest.approx(66 / 7)
    assert acq.status == "at_risk"
    act = t["activated"]  # 3 × 7/11 expected; 1 / (21/11) = 0.52: off track
    assert act.expected_to_date == pytest.approx(21 / 11)
    assert act.pace == pytest.approx(11 / 21)
    assert act.forecast == pytest.approx(11 / 7)
    assert act.status == "off_track"
    d1 = t["retention_d1"]  # 0.2 against 0.3
    assert (d1.expected_to_date, d1.forecast) == (0.3, pytest.approx(0.2))
    assert d1.pace == pytest.approx(2 / 3)
    assert d1.status == "off_track"
    k = t["k_factor"]  # 1/6 against 0.2: pace 0.833, at risk
    assert k.pace == pytest.approx(5 / 6)
    assert k.status == "at_risk"
    cpa = t["cost_per_activated"]  # 14 > 12: pace 12/14 = 0.857, at risk
    assert cpa.pace == pytest.approx(12 / 14)
    assert cpa.status == "at_risk"
    seg = {(s.dimension, s.value): s for s in c.segments}[("channel", "in_app")]
    assert seg.metrics["acquired"] == 2
    assert seg.targets[0].pace == pytest.approx(2 / (2 * S))
    assert seg.targets[0].status == "on_track"
    assert c.status == "off_track"  # the worst of its targets


def test_after_the_window_days_outside_it_count_only_towards_cost(
    ws: Any, server: EdgeServer
) -> None:
    """As of 01-25, a day after the window's end adds its cost but no users; status ended."""
    doc = payload()
    doc["campaigns"][0]["days"] = [
        {"day": "2025-01-10", "acquired": 3, "retained_d7": 1, "cost": 1},
        {"day": "2025-01-18", "acquired": 2, "cost": 2},
        {"day": "2025-01-22", "acquired": 5, "activated": 5, "retained_d7": 5, "cost": 4},
    ]
    server.plan = [(200, doc)]
    c = run(ws, server.url, as_of="2025-01-25").campaigns[0]
    assert (c.metrics["acquired"], c.metrics["activated"]) == (5, 0)
    assert c.metrics["cost"] == 7.0
    # D7: cohorts with day + 7 <= 01-25 inside the window: 01-10 (1 of 3), 01-18 (0 of 2)
    assert c.metrics["retention_d7"] == pytest.approx(1 / 5)
    assert c.status == "ended"
    assert c.daily[-1].day == dt.date(2025, 1, 20)


def test_the_request_is_as_documented(ws: Any, server: EdgeServer, policies: Policies) -> None:
    """GET <url>?as_of=…&campaigns=…, Accept: application/json, a 30 s timeout, no token."""
    server.plan = [(200, PAYLOAD)]
    run(ws, server.url)
    assert server.requests[0]["query"] == {"as_of": [AS_OF], "campaigns": ["ref"]}
    assert server.requests[0]["auth"] is None
    assert server.accepts == ["application/json"]
    assert policies.asked == [{"timeout": 30.0}]
    assert REAL_POLICY(timeout=30.0).attempts == 4


def test_a_url_with_a_query_keeps_it(ws: Any, server: EdgeServer) -> None:
    """as_of and campaigns are added to a query the URL already has."""
    server.plan = [(200, PAYLOAD)]
    run(ws, server.url + "?region=east")
    q = server.requests[0]["query"]
    assert q == {"region": ["east"], "as_of": [AS_OF], "campaigns": ["ref"]}


# -- campaigns in the payload ----------------------------------------------------------------


def test_a_campaign_not_asked_for_is_ignored(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """Figures for another campaign change nothing and add no campaign to the output."""
    doc = payload()
    doc["campaigns"].insert(0, {"id": "other", "days": [{"day": "2025-01-11", "acquired": 40}]})
    server.plan = [(200, doc)]
    out = cli_ok(invoke, server.url)
    assert [c["id"] for c in out["campaigns"]] == ["ref"]
    assert out["campaigns"][0]["metrics"]["acquired"] == 6


def test_a_missing_campaign_is_an_error_only_with_strict(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """Missing from the answer: no figures (exit 0); with --strict one line naming it."""
    server.plan = [(200, payload(campaigns=[]))]
    out = cli_ok(invoke, server.url)
    assert out["campaigns"][0]["metrics"]["acquired"] is None
    line = cli_error(invoke, server.url, "--strict")
    assert "ref" in line and port_of(server.url) in line


def test_a_missing_campaign_has_no_figures_not_zeros(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """Left out of the answer, "ref" has no figures (docs/metrics.md): every metric null,
    every target no_data with nothing measured but still its expected to date (acquired
    11 x 7/11 = 7, activated 3 x 7/11; a rate's and a ceiling's is the target), the in_app
    segment target too (2 x 7/11), no daily rows, no referral view. Status no_data, which
    --fail-on at-risk does not fail on (zeros would have read off track); a warning names it."""
    server.plan = [(200, payload(campaigns=[]))]
    r = invoke(
        "track", "--data", server.url, "--as-of", AS_OF, "-f", "json", "--fail-on", "at-risk"
    )
    assert r.exit_code == 0, r.output
    c = json.loads(r.stdout)["campaigns"][0]
    assert c["status"] == "no_data"
    assert {"acquired", "activated", "cost", "k_factor", "money_at_risk"} <= set(c["metrics"])
    assert set(c["metrics"].values()) == {None}
    targets = {t["metric"]: t for t in c["targets"]}
    assert set(targets) == {"acquired", "activated", "retention_d1", "k_factor",
                            "cost_per_activated"}  # fmt: skip
    for t in targets.values():
        assert (t["status"], t["actual"], t["pace"], t["forecast"]) == ("no_data", None, None, None)
    assert targets["acquired"]["expected_to_date"] == pytest.approx(11 * S)
    assert targets["activated"]["expected_to_date"] == pytest.approx(3 * S)
    assert targets["retention_d1"]["expected_to_date"] == 0.3
    assert targets["cost_per_activated"]["expected_to_date"] == 12.0
    (seg,) = c["segments"]
    assert (seg["dimension"], seg["value"]) == ("channel", "in_app")
    assert set(seg["metrics"].values()) == {None}
    (st,) = seg["targets"]
    assert (st["status"], st["actual"]) == ("no_data", None)
    assert st["expected_to_date"] == pytest.approx(2 * S)
    assert c["daily"] == [] and c["referral"] is None
    (warning,) = r.stderr.splitlines()
    assert warning.startswith("warning:") and "no figures for ref" in warning
    assert port_of(server.url) in warning


def test_a_missing_campaign_before_its_window_is_not_started(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """As of 2025-01-05, before the window: not_started, expected 0, metrics still null."""
    server.plan = [(200, payload(campaigns=[]))]
    r = invoke("track", "--data", server.url, "--as-of", "2025-01-05", "-f", "json")
    assert r.exit_code == 0, r.output
    c = json.loads(r.stdout)["campaigns"][0]
    assert c["status"] == "not_started"
    assert {t["status"] for t in c["targets"]} == {"not_started"}
    targets = {t["metric"]: t for t in c["targets"]}
    assert targets["acquired"]["expected_to_date"] == 0.0
    assert c["metrics"]["acquired"] is None


@pytest.mark.parametrize(
    "args",
    [("-f", "table"), ("-f", "table", "--by", "channel"), ("-f", "csv")],
    ids=["table", "table-by-channel", "csv"],
)
def test_a_missing_campaign_renders_as_no_data(
    invoke: Any, ws: Any, server: EdgeServer, args: tuple[str, ...]
) -> None:
    """The table and the CSV show `no data` / no_data and dashes, not zeros or a traceback."""
    server.plan = [(200, payload(campaigns=[]))]
    r = invoke("track", "--data", server.url, "--as-of", AS_OF, *args)
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    assert ("no_data" if "csv" in args else "no data") in r.stdout
    assert "off track" not in r.stdout and "off_track" not in r.stdout


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_a_missing_campaign_in_a_report(
    invoke: Any, ws: Any, server: EdgeServer, tmp_path: Path, fmt: str
) -> None:
    """`report` renders a campaign without figures in every format, marked no data, and
    warns on stderr as `track` does (a scheduled job's log must show it)."""
    server.plan = [(200, payload(campaigns=[]))]
    out = tmp_path / f"report.{fmt}"
    r = invoke("report", "--data", server.url, "--as-of", AS_OF, "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "warning:" in r.stderr and "no figures for ref" in r.stderr
    text = out.read_text(encoding="utf-8")
    if fmt == "html":  # (the style sheet names every status's class: look at the page's)
        text = text.replace(text[text.index("<style") : text.index("</style>")], "")
    assert ("no_data" if fmt in ("json", "csv") else "no data") in text.lower()
    assert "off_track" not in text and "off track" not in text.lower()


def test_rejected_rows_are_an_error_with_strict(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """The endpoint's data_quality is the run's; --strict refuses rejected rows."""
    doc = payload(data_quality={"rows_read": 10, "rows_rejected": 2})
    server.plan = [(200, doc)]
    out = cli_ok(invoke, server.url)
    assert out["data_quality"]["rows_read"] == 10
    assert out["data_quality"]["rows_rejected"] == 2
    assert "data_quality" in cli_error(invoke, server.url, "--strict")


def test_every_data_quality_count_comes_through(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """Each count of data_quality's documented keys is read from the endpoint's answer, not
    only the first six: rows of untracked campaigns and unattributed rows too."""
    counts = {
        "rows_read": 100,
        "rows_rejected": 1,
        "unknown_events": 2,
        "duplicates": 3,
        "outside_windows": 4,
        "after_as_of": 5,
        "other_campaigns": 6,
        "unattributed": 7,
    }
    server.plan = [(200, payload(data_quality=counts))]
    out = cli_ok(invoke, server.url)
    assert {k: out["data_quality"][k] for k in counts} == counts
    doc = payload(data_quality={"unattributed": -1})
    server.plan = [(200, doc)]
    assert "data_quality.unattributed" in cli_error(invoke, server.url)


def test_optional_fields_default_to_zero(ws: Any, server: EdgeServer) -> None:
    """Days with only `day`, no inviters/segments/data_quality: zeros, inviters null."""
    doc = {
        "schema_version": 1,
        "campaigns": [{"id": "ref", "days": [{"day": "2025-01-11"}]}],
    }
    server.plan = [(200, doc)]
    result = run(ws, server.url)
    m = result.campaigns[0].metrics
    assert (m["acquired"], m["cost"], m["invites"]) == (0, 0.0, 0)
    assert m["inviters"] is None
    assert result.data_quality.rows_read == 0


def test_duplicate_days_are_added_up(ws: Any, server: EdgeServer) -> None:
    """Two rows for one day are parts of it (docs/metrics.md): summed, not deduplicated."""
    doc = payload()
    doc["campaigns"][0]["days"] = [
        {"day": "2025-01-11", "acquired": 2, "cost": 1},
        {"day": "2025-01-11", "acquired": 2, "cost": 1},
    ]
    server.plan = [(200, doc)]
    c = run(ws, server.url).campaigns[0]
    assert (c.metrics["acquired"], c.metrics["cost"]) == (4, 2.0)
    assert {r.day.isoformat(): r.acquired for r in c.daily}["2025-01-11"] == 4


def test_a_segment_listed_twice_is_added_up_like_a_day(ws: Any, server: EdgeServer) -> None:
    """Two rows for channel in_app (2 and 1 acquired, 1 activated in the second) are one
    segment of 3 acquired, 1 activated; the last row no longer replaces the first."""
    doc = payload()
    doc["campaigns"][0]["segments"].append(
        {"dimension": "channel", "value": "in_app", "acquired": 1, "activated": 1}
    )
    server.plan = [(200, doc)]
    c = run(ws, server.url).campaigns[0]
    (seg,) = [s for s in c.segments if (s.dimension, s.value) == ("channel", "in_app")]
    assert (seg.metrics["acquired"], seg.metrics["activated"]) == (3, 1)


# -- malformed answers ------------------------------------------------------------------------


def test_the_documented_error_for_a_negative_count(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """The docs' own example: `campaigns[0].days[3].acquired: expected a whole number >= 0,
    got -1`, after the URL."""
    server.plan = [(200, with_day(3, acquired=-1))]
    line = cli_error(invoke, server.url)
    assert line == (
        f"Error: --data {server.url}: campaigns[0].days[3].acquired: "
        "expected a whole number >= 0, got -1"
    )


@pytest.mark.parametrize(
    "body,where",
    [
        (b"not json {", "not JSON"),
        (b"", "not JSON"),
        (b"<html><body>maintenance</body></html>", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"[]", "document"),
        (b"{}", "schema_version"),
        (json.dumps(payload(schema_version=2)).encode(), "schema_version"),
        (json.dumps(payload(campaigns={"ref": {}})).encode(), "campaigns"),
        (json.dumps(payload(data_quality=[1])).encode(), "data_quality"),
        (json.dumps(payload(data_quality={"rows_read": -3})).encode(), "data_quality.rows_read"),
        (json.dumps(with_day(0, acquired="3")).encode(), "campaigns[0].days[0].acquired"),
        (json.dumps(with_day(0, acquired=2.5)).encode(), "campaigns[0].days[0].acquired"),
        (json.dumps(with_day(0, activated=True)).encode(), "campaigns[0].days[0].activated"),
        (json.dumps(with_day(1, cost=-0.5)).encode(), "campaigns[0].days[1].cost"),
        (json.dumps(with_day(1, cost="3.5")).encode(), "campaigns[0].days[1].cost"),
        (json.dumps(with_day(2, day="2025-02-30")).encode(), "campaigns[0].days[2].day"),
        (json.dumps(with_day(2, day="yesterday")).encode(), "campaigns[0].days[2].day"),
        (json.dumps(with_day(2, day=None)).encode(), "campaigns[0].days[2].day"),
        (json.dumps(with_day(0, acquired=float("nan"))).encode(), "days[0].acquired"),
        (json.dumps(with_day(0, cost=float("nan"))).encode(), "days[0].cost"),
    ],
    ids=[
        "not-json",
        "empty-body",
        "html-200",
        "not-utf8",
        "a-list",
        "empty-object",
        "schema-2",
        "campaigns-object",
        "data-quality-list",
        "rows-read-negative",
        "count-string",
        "count-fraction",
        "count-bool",
        "cost-negative",
        "cost-string",
        "day-feb-30",
        "day-word",
        "day-null",
        "count-nan",
        "cost-nan",
    ],
)
def test_a_malformed_answer_is_one_line_naming_url_and_field(
    invoke: Any, ws: Any, server: EdgeServer, body: bytes, where: str
) -> None:
    """Exit 2, one line on stderr naming the (masked) URL and the field, nothing on stdout."""
    server.plan = [raw(200, body)]
    line = cli_error(invoke, server.url)
    assert f"--data {server.url}: " in line
    assert where in line


@pytest.mark.parametrize(
    "index,fields,line_end",
    [
        # 01-10's cohort: 3 acquired, 2 of them referred, 1 of those by an acquired referrer
        (0, {"activated": 4}, "days[0].activated: 4 is more than acquired (3)"),
        (0, {"retained_d1": 4}, "days[0].retained_d1: 4 is more than acquired (3)"),
        (0, {"retained_d30": 9}, "days[0].retained_d30: 9 is more than acquired (3)"),
        (0, {"referred_signups": 5}, "days[0].referred_signups: 5 is more than acquired (3)"),
        (
            0,
            {"referred_by_acquired": 3},
            "days[0].referred_by_acquired: 3 is more than referred_signups (2)",
        ),
        # a day after as-of is checked all the same (as its other fields are)
        (4, {"activated": 51}, "days[4].activated: 51 is more than acquired (50)"),
    ],
    ids=["activated", "retained-d1", "retained-d30", "referred", "referred-by-acquired", "late"],
)
def test_a_cohort_part_larger_than_its_cohort_is_refused(
    invoke: Any, ws: Any, server: EdgeServer, index: int, fields: dict[str, int], line_end: str
) -> None:
    """A day's activated, referred or retained users are among that day's acquired users
    (docs/metrics.md): more of them than acquired would give a rate above 100%. One line
    naming the field, exit 2; equal is fine (the edge)."""
    server.plan = [(200, with_day(index, **fields))]
    line = cli_error(invoke, server.url)
    assert line == f"Error: --data {server.url}: campaigns[0].{line_end}"


def test_a_cohort_part_equal_to_its_cohort_is_accepted(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """All 3 of 01-10's users activated and retained on day 1, both referred ones by acquired
    referrers: accepted, activated 3 (3 + 0 + 0 inside the window up to as-of)."""
    fields = {"activated": 3, "retained_d1": 3, "referred_by_acquired": 2}
    server.plan = [(200, with_day(0, **fields))]
    out = cli_ok(invoke, server.url)
    assert out["campaigns"][0]["metrics"]["activated"] == 3


def test_a_segment_with_more_activated_than_acquired_is_refused(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """A segment row's activated users are among its acquired ones."""
    doc = payload()
    doc["campaigns"][0]["segments"][0]["activated"] = 3  # of 2 acquired
    server.plan = [(200, doc)]
    line = cli_error(invoke, server.url)
    assert line.endswith("campaigns[0].segments[0].activated: 3 is more than acquired (2)")


def test_a_campaign_without_an_id_says_what_is_wrong(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """A campaign entry without an `id` names the field, not just `campaigns[0]: `."""
    doc = payload()
    del doc["campaigns"][0]["id"]
    server.plan = [(200, doc)]
    line = cli_error(invoke, server.url)
    assert "campaigns[0].id" in line


def test_a_day_given_as_a_number_is_refused(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """`"day": 20250110` is a number, not a YYYY-MM-DD date: an error naming the day."""
    server.plan = [(200, with_day(0, day=20250110))]
    line = cli_error(invoke, server.url)
    assert "campaigns[0].days[0].day" in line


@pytest.mark.parametrize("literal", ["Infinity", "1e400"])
def test_an_infinite_cost_is_refused(
    invoke: Any, ws: Any, server: EdgeServer, literal: str
) -> None:
    """A cost of Infinity (not JSON) or 1e400 (no finite number) is an error naming the cost;
    it must never reach the output, which would then not be JSON either."""
    body = json.dumps(with_day(1, cost=123456.0)).replace("123456.0", literal).encode()
    server.plan = [raw(200, body)]
    line = cli_error(invoke, server.url)
    assert "campaigns[0].days[1].cost" in line


def test_a_huge_count_is_one_line_not_a_crash(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """A 400-digit count: a clear error naming the field (exit 2), never a traceback."""
    body = json.dumps(with_day(0, acquired=7)).replace('"acquired": 7', '"acquired": 1' + "0" * 400)
    server.plan = [raw(200, body.encode())]
    line = cli_error(invoke, server.url)
    assert "campaigns[0].days[0].acquired" in line


# -- retries and failures ---------------------------------------------------------------------


def test_503_then_200_succeeds_with_growing_backoff(
    ws: Any, server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two 503s then the figures; with the real backoff the second wait is the longer."""
    monkeypatch.setattr(net, "RetryPolicy", REAL_POLICY)
    server.plan = [(503, {"error": "warming up"}), (503, {}), (200, PAYLOAD)]
    assert run(ws, server.url).campaigns[0].metrics["acquired"] == 6
    first, second = (b - a for a, b in zip(server.times, server.times[1:], strict=False))
    assert len(server.times) == 3
    assert 0.4 < first <= second + 0.05


def test_429_honours_retry_after(ws: Any, server: EdgeServer) -> None:
    """A 429 with Retry-After: 1 waits a second (the backoff alone would be 10 ms)."""
    server.plan = [raw(429, b'{"error": "slow down"}', Retry_After="1"), (200, PAYLOAD)]
    assert run(ws, server.url).campaigns[0].metrics["acquired"] == 6
    assert len(server.times) == 2
    assert server.times[1] - server.times[0] >= 0.95


def test_500_forever_gives_up_after_4_tries(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """4 tries in all, then one line saying so, with the URL and the status."""
    server.plan = [(500, {"error": "boom"})]
    line = cli_error(invoke, server.url)
    assert len(server.requests) == 4
    assert "4 tries" in line and "HTTP 500" in line and server.url in line


def test_404_is_not_retried(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """Any 4xx but 429 fails at once: one request, one line with the status."""
    server.plan = [(404, {"error": "no such feed"})]
    line = cli_error(invoke, server.url)
    assert len(server.requests) == 1
    assert "HTTP 404" in line and server.url in line


def test_an_http_error_names_where_the_source_came_from(
    invoke: Any, ws: Any, server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/data.md: an error about the source names the one that won (`$XHSGROW_DATA URL: …`),
    for a refused request as for a malformed answer."""
    monkeypatch.setenv("XHSGROW_DATA", server.url)
    server.plan = [(200, with_day(0, acquired=-1))]
    r = invoke("track", "--as-of", AS_OF)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: $XHSGROW_DATA {server.url}: ")
    server.plan = [(404, {"error": "no such feed"})]
    r = invoke("track", "--as-of", AS_OF)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: $XHSGROW_DATA {server.url}: "), r.stderr


def test_connection_refused_is_retried_then_one_line(invoke: Any, ws: Any) -> None:
    """Nothing listening: 4 tries, then one line naming the URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/metrics/daily"
    line = cli_error(invoke, url)
    assert "cannot connect" in line and url in line and "4 tries" in line


def test_a_dropped_connection_is_retried(ws: Any, server: EdgeServer) -> None:
    """The server closes the connection without answering (a connection error), then
    answers: retried, like any connection error of this GET."""
    server.plan = [(0, Drop()), (200, PAYLOAD)]
    assert run(ws, server.url).campaigns[0].metrics["acquired"] == 6
    assert len(server.requests) == 2


def test_a_server_that_never_answers_times_out(
    invoke: Any, ws: Any, server: EdgeServer, policies: Policies
) -> None:
    """No answer within the timeout (shortened here to 0.3 s; 30 s in real use): exit 2 with
    one line naming the URL and the timeout, quickly."""
    policies.timeout = 0.3
    server.plan = [(0, Hang())]
    started = time.monotonic()
    line = cli_error(invoke, server.url)
    assert time.monotonic() - started < 5
    assert server.url in line and "Timeout" in line


# -- the token and secrets in the URL --------------------------------------------------------


def test_the_token_is_sent_as_a_bearer_and_never_shown(
    invoke: Any, ws: Any, server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$XHSGROW_DATA_TOKEN goes in `Authorization: Bearer …`; not in the JSON output."""
    monkeypatch.setenv("XHSGROW_DATA_TOKEN", TOKEN)
    server.plan = [(200, PAYLOAD)]
    r = invoke("track", "--data", server.url, "--as-of", AS_OF, "-f", "json")
    assert r.exit_code == 0
    assert server.requests[0]["auth"] == f"Bearer {TOKEN}"
    assert TOKEN not in r.output
    assert json.loads(r.stdout)["source"] == server.url


def test_the_token_is_not_printed_when_the_server_echoes_it(
    invoke: Any, ws: Any, server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 401 whose body quotes the bad token: the error line must not show it."""
    monkeypatch.setenv("XHSGROW_DATA_TOKEN", TOKEN)
    server.plan = [(401, {"error": f"invalid bearer token {TOKEN}"})]
    line = cli_error(invoke, server.url)
    assert "HTTP 401" in line
    assert TOKEN not in line


@pytest.mark.parametrize("key", ["token", "access_token", "api_key", "sig", "auth_token"])
def test_a_token_in_the_query_is_masked_everywhere(
    invoke: Any, ws: Any, server: EdgeServer, key: str
) -> None:
    """?KEY=secret is *** in `source` and in an error line."""
    url = f"{server.url}?{key}={TOKEN}"
    server.plan = [(200, PAYLOAD)]
    out = cli_ok(invoke, url)
    assert TOKEN not in json.dumps(out)
    assert out["source"] == f"{server.url}?{key}=***"
    server.plan = [(500, {"error": "boom"})]
    line = cli_error(invoke, url)
    assert TOKEN not in line and f"{key}=***" in line


def test_user_and_password_in_the_url_are_masked(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """http://user:password@host/… shows as http://***@host/… in `source` and errors."""
    host = port_of(server.url)
    url = server.url.replace(host, f"alice:{TOKEN}@{host}")
    masked = server.url.replace(host, f"***@{host}")
    server.plan = [(200, PAYLOAD)]
    out = cli_ok(invoke, url)
    assert out["source"] == masked
    assert TOKEN not in json.dumps(out) and "alice" not in json.dumps(out)
    server.plan = [(403, {"error": "forbidden"})]
    line = cli_error(invoke, url)
    assert TOKEN not in line and masked in line


# -- redirects and error pages ----------------------------------------------------------------


def test_a_redirect_on_the_same_server_is_followed_with_the_token(
    invoke: Any, ws: Any, server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 302 to another path of the same server: the figures of the new path, the token
    sent there too (same origin)."""
    monkeypatch.setenv("XHSGROW_DATA_TOKEN", TOKEN)
    new = server.url.rsplit("/", 1)[0] + "/v2"
    server.plan = [raw(302, b"", Location=new), (200, PAYLOAD)]
    out = cli_ok(invoke, server.url)
    assert out["campaigns"][0]["metrics"]["acquired"] == 6
    assert server.requests[1]["path"] == "/metrics/v2"
    assert server.requests[1]["auth"] == f"Bearer {TOKEN}"
    assert out["source"] == server.url  # the URL as given, not where it led


def test_a_redirect_to_another_server_does_not_carry_the_token(
    invoke: Any, ws: Any, server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 307 to another origin (another port on 127.0.0.1, say a file store): followed, but
    the bearer token stays with the server it was meant for."""
    monkeypatch.setenv("XHSGROW_DATA_TOKEN", TOKEN)
    with EdgeServer() as other:
        other.plan = [(200, PAYLOAD)]
        server.plan = [raw(307, b"", Location=other.url)]
        out = cli_ok(invoke, server.url)
        assert out["campaigns"][0]["metrics"]["acquired"] == 6
        assert server.requests[0]["auth"] == f"Bearer {TOKEN}"
        (there,) = other.requests
        assert there["auth"] is None
        assert there["path"] == "/metrics/daily"


def test_a_redirect_loop_is_one_line(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """A server redirecting to itself forever: one line, exit 2, no endless loop."""
    server.plan = [raw(302, b"", Location=server.url)]
    line = cli_error(invoke, server.url)
    assert "too many redirects" in line and server.url in line
    assert len(server.requests) == 21  # the first request and 20 redirects


def test_a_redirect_without_a_location_is_named(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """A 301 with no Location header: one line naming the status, not `the answer is not
    JSON`."""
    server.plan = [raw(301, b"")]
    line = cli_error(invoke, server.url)
    assert "HTTP 301" in line and "without a Location" in line and server.url in line


def test_an_html_502_page_is_one_line_with_its_status(
    invoke: Any, ws: Any, server: EdgeServer
) -> None:
    """A proxy's HTML 502 page, retried, then one line with `HTTP 502` and no markup."""
    page = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>"
    server.plan = [raw(502, page, Content_Type="text/html")]
    line = cli_error(invoke, server.url)
    assert len(server.requests) == 4
    assert "HTTP 502" in line and "<" not in line


def test_a_non_utf8_text_error_page_is_one_line(invoke: Any, ws: Any, server: EdgeServer) -> None:
    """A 403 in GBK plain text with CRLF line ends: still one line, status included."""
    body = "拒绝访问\r\n请联系管理员\r\n".encode("gbk")
    server.plan = [raw(403, body, Content_Type="text/plain")]
    line = cli_error(invoke, server.url)
    assert "HTTP 403" in line and server.url in line


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://metrics.example.com:99999/daily", "its host or port is malformed"),
        ("https://[::1/daily", "its host or port is malformed"),
        ("https:///daily", "it has no host"),
        ("https://metrics example.com/daily", "it has a space in it"),
    ],
)
def test_a_malformed_metrics_url_is_one_line_and_nothing_is_tried(
    invoke: Any,
    ws: Any,
    policies: Policies,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    problem: str,
) -> None:
    """Was: a traceback (httpx.InvalidURL) for the unclosed bracket, "redirected to a URL
    that is not http(s)" for no host, and four tries to connect for a bad port or a space."""
    import httpx

    def no_request(*_a: Any, **_kw: Any) -> Any:
        raise AssertionError("a request was sent")

    monkeypatch.setattr(httpx.Client, "request", no_request)
    line = cli_error(invoke, url)
    assert line == f"Error: --data {url}: not a valid http(s) URL ({problem})"
