"""`report` and `notify` end to end: real specs, generated events, the real tracking engine."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

pytest.importorskip("xhsgrow.tracking.engine", reason="tracking engine not built yet")

AS_OF = dt.date(2025, 11, 5)  # the silver referral and the Qiandongnan partnership are live
ORDER = ["off_track", "at_risk", "no_data", "ended", "not_started", "on_track"]


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from xhsgrow.data.demo import write_demo_events
    from xhsgrow.specs import load_campaigns
    from xhsgrow.workspace import open_workspace

    root = tmp_path_factory.mktemp("ws")
    shutil.copytree(REPO / "campaigns", root / "campaigns")
    campaigns = load_campaigns(open_workspace(root))
    out = write_demo_events(campaigns, root / "events.parquet", events=40_000, seed=7, as_of=AS_OF)
    return root, out


@pytest.fixture
def ws(events: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    root, data = events
    monkeypatch.chdir(root)
    return root, data


def test_json_report_from_real_tracking(invoke: Any, ws: tuple[Path, Path]) -> None:
    _, data = ws
    res = invoke("report", "--data", str(data), "--as-of", AS_OF.isoformat(), "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["as_of"] == AS_OF.isoformat() and doc["schema_version"] >= 1
    ids = {c["id"] for c in doc["campaigns"]}
    assert set(doc["report"]["order"]) == ids and len(ids) == len(
        list((REPO / "campaigns").glob("*.toml"))
    )
    status = {c["id"]: c["status"] for c in doc["campaigns"]}
    severity = [ORDER.index(status[i]) if status[i] in ORDER else 0 for i in doc["report"]["order"]]
    assert severity == sorted(severity)  # worst first
    assert sum(doc["report"]["status_counts"].values()) == len(ids)


def test_html_csv_and_exit_code_from_real_tracking(invoke: Any, ws: tuple[Path, Path]) -> None:
    root, data = ws
    base = ["--data", str(data), "--as-of", AS_OF.isoformat()]
    res = invoke("report", *base, "--format", "html", "--out", "report.html", "--lang", "zh")
    assert res.exit_code == 0, res.output
    page = (root / "report.html").read_text()
    assert page.count("<svg") >= 1 and "活动进度报告" in page
    res = invoke("report", *base, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    doc = json.loads(invoke("report", *base, "--format", "json").stdout)
    assert len(rows) == sum(max(1, len(c["targets"])) for c in doc["campaigns"])
    bad = [c["id"] for c in doc["campaigns"] if c["status"] in ("at_risk", "off_track")]
    res = invoke("report", *base, "--fail-on", "at-risk")
    assert res.exit_code == (1 if bad else 0)


def test_notify_dry_run_from_real_tracking(
    invoke: Any, ws: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = ws
    monkeypatch.setenv(
        "XHSGROW_WEBHOOK_TEAM_URL",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef123456",
    )
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_KIND", "wecom")
    res = invoke("notify", "team", "--data", str(data), "--as-of", AS_OF.isoformat(), "--dry-run")
    assert res.exit_code == 0, res.output
    assert "abcdef123456" not in res.output and "key=***" in res.output
    body = json.loads(res.stdout.split("\n", 1)[1])
    assert len(body["markdown"]["content"].encode()) <= 4096
