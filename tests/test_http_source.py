"""The daily-aggregates HTTP source, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.test_track_metrics import DATA, make_workspace
from xhsgrow.errors import UsageError, XhsgrowError

TOKEN = "s3cr3t-token-value"

BODY = {
    "schema_version": 1,
    "campaigns": [
        {
            "id": "ref",
            "inviters": 3,
            "days": [
                # cohort 01-10: 10 users, 6 activated, 4 back on day 1, 2 on day 7
                {
                    "day": "2025-01-10",
                    "acquired": 10,
                    "activated": 6,
                    "cost": 50.5,
                    "invites": 8,
                    "referred_signups": 4,
                    "referred_by_acquired": 2,
                    "retained_d1": 4,
                    "retained_d7": 2,
                },
                # cohort 01-15: 6 users, 3 back on day 1 (old enough for D1 only)
                {
                    "day": "2025-01-15",
                    "acquired": 6,
                    "activated": 3,
                    "cost": 20,
                    "invites": 2,
                    "retained_d1": 3,
                },
                # after as-of (01-17): ignored
                {"day": "2025-01-17", "acquired": 100, "cost": 1000},
                # before the window: only its cost counts (money spent is spent)
                {"day": "2025-01-05", "acquired": 7, "cost": 9.5},
            ],
            "segments": [{"dimension": "channel", "value": "in_app", "acquired": 9}],
        }
    ],
    "data_quality": {"rows_read": 1234, "duplicates": 5},
}


class Server:
    def __init__(self) -> None:
        self.plan: list[tuple[int, Any]] = []  # answers to give, in order (then the last)
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                server.requests.append(
                    {
                        "path": url.path,
                        "query": parse_qs(url.query),
                        "auth": self.headers.get("Authorization"),
                    }
                )
                status, body = server.plan.pop(0) if len(server.plan) > 1 else server.plan[0]
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/metrics/daily"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as s:
        yield s


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_workspace(tmp_path, DATA / "referral.toml")


def track(ws, url: str, **kw: Any):  # type: ignore[no-untyped-def]
    from xhsgrow.tracking.engine import track as run

    return run(ws, None, data=url, as_of=dt.date(2025, 1, 16), **kw)


def test_figures_from_daily_aggregates(ws, server: Server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XHSGROW_DATA_TOKEN", TOKEN)
    server.plan = [(200, BODY)]
    result = track(ws, server.url)
    c = result.campaigns[0]
    m = c.metrics
    assert m["acquired"] == 16  # 10 + 6; not 01-17 (after as-of), not 01-05 (before start)
    assert m["activated"] == 9
    assert m["retention_d1"] == pytest.approx((4 + 3) / (10 + 6))
    assert m["retention_d7"] is None  # 01-10 + 7 days is after as-of: no cohort old enough
    assert m["retention_d30"] is None
    assert m["cost"] == pytest.approx(50.5 + 20 + 9.5)
    assert m["invites"] == 10
    assert m["inviters"] == 3
    assert m["k_factor"] == pytest.approx(2 / 16)
    assert {r.day: r.acquired for r in c.daily}[dt.date(2025, 1, 15)] == 6
    assert {(s.dimension, s.value): s.metrics["acquired"] for s in c.segments}[
        ("channel", "in_app")
    ] == 9
    assert result.data_quality.rows_read == 1234
    req = server.requests[0]
    assert req["path"] == "/metrics/daily"
    assert req["query"] == {"as_of": ["2025-01-16"], "campaigns": ["ref"]}
    assert req["auth"] == f"Bearer {TOKEN}"


def test_retries_a_503_then_succeeds(ws, server: Server) -> None:  # type: ignore[no-untyped-def]
    server.plan = [(503, {"error": "warming up"}), (200, BODY)]
    result = track(ws, server.url)
    assert len(server.requests) == 2
    assert server.requests[0]["auth"] is None  # no token set, no header
    assert result.campaigns[0].metrics["acquired"] == 16


def test_gives_up_on_a_400_without_retrying(ws, server: Server) -> None:  # type: ignore[no-untyped-def]
    server.plan = [(400, {"error": "bad campaigns"})]
    with pytest.raises(XhsgrowError, match="HTTP 400"):
        track(ws, server.url)
    assert len(server.requests) == 1


def test_an_html_error_page_gives_its_status_not_its_markup(ws, server: Server) -> None:  # type: ignore[no-untyped-def]
    page = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body>nginx</body>"
    server.plan = [(404, page)]
    with pytest.raises(XhsgrowError) as err:
        track(ws, server.url)
    assert str(err.value).endswith(": HTTP 404 Not Found")
    assert "<" not in str(err.value)


def test_a_bad_document_names_the_field(ws, server: Server) -> None:  # type: ignore[no-untyped-def]
    bad = json.loads(json.dumps(BODY))
    bad["campaigns"][0]["days"][1]["acquired"] = -1
    server.plan = [(200, bad)]
    with pytest.raises(UsageError, match=r"campaigns\[0\]\.days\[1\]\.acquired"):
        track(ws, server.url)
    server.plan = [(200, b"<html>oops</html>")]
    with pytest.raises(UsageError, match="not JSON"):
        track(ws, server.url)


def test_the_token_is_never_printed(invoke, ws, server: Server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XHSGROW_DATA_TOKEN", TOKEN)
    server.plan = [(200, BODY)]
    url = server.url + "?token=" + TOKEN
    ok = invoke("track", "--data", url, "--as-of", "2025-01-16", "-f", "json")
    assert ok.exit_code == 0
    assert TOKEN not in ok.output
    assert json.loads(ok.stdout)["source"].endswith("?token=***")
    server.plan = [(401, {"error": "who are you"})]
    bad = invoke("track", "--data", url, "--as-of", "2025-01-16")
    assert bad.exit_code == 2
    assert TOKEN not in bad.output
