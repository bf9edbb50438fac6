"""outreach: fixes found by exploratory testing, each pinned by the test that found it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import test_outreach_smtp as _smtp_tests
from xhsgrow.specs import init_workspace

# the loopback SMTP relay of test_outreach_smtp.py (no STARTTLS, no AUTH), as a fixture here too
smtp = _smtp_tests.smtp

CAMPAIGN = "example-partnership"
HELLO = "Subject: Hi\n\nHello {{ contact.name }}\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    init_workspace(tmp_path)
    return tmp_path


def _render(invoke, contacts: str, template: str, *more: str, campaign: str = CAMPAIGN):
    return invoke("outreach", "render", campaign, "-c", contacts, "-t", template, *more)


def _leftovers(folder: Path) -> list[str]:
    """Hidden work files a render leaves beside its --out when it fails half-way."""
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".old-" in p.name)


# -- 1. render --out FILE never destroys a file it did not write ---------------------------


@pytest.mark.parametrize("out", ["c.jsonl", "./c.jsonl", "h.mbox"])
def test_render_out_that_is_the_contacts_file_or_the_template_is_refused(ws, invoke, out):
    contacts = ws / "c.jsonl"
    contacts.write_text('{"name":"A","email":"a@example.com"}\n', encoding="utf-8")
    template = ws / "h.mbox"  # a template may have any name; the one --out names is refused
    template.write_text(HELLO, encoding="utf-8")
    before = {p: p.read_bytes() for p in (contacts, template)}
    result = _render(invoke, "c.jsonl", "./h.mbox", "-p", "0", "--out", out)
    assert result.exit_code == 2, result.output
    what = "template h.mbox" if out.endswith(".mbox") else "contacts file c.jsonl"
    assert f"--out {Path(out)} is the {what}; write the render somewhere else" in result.output
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in before} == before
    assert _leftovers(ws) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".mbox"])
def test_render_out_file_replaces_a_render_or_an_empty_file_and_refuses_others(ws, invoke, suffix):
    (ws / "c.jsonl").write_text('{"name":"A","email":"a@example.com"}\n', encoding="utf-8")
    (ws / "h.md").write_text(HELLO, encoding="utf-8")
    out = ws / f"out{suffix}"
    notes = "my notes, not a render\n"
    out.write_text(notes, encoding="utf-8")
    result = _render(invoke, "c.jsonl", "./h.md", "-p", "0", "--out", out.name)
    assert result.exit_code == 2, result.output
    assert f"--out {out.name}: exists and is not a previous render's output" in result.output
    assert out.read_text(encoding="utf-8") == notes
    assert _leftovers(ws) == []

    out.write_text("", encoding="utf-8")  # empty: nothing to lose
    assert _render(invoke, "c.jsonl", "./h.md", "-p", "0", "--out", out.name).exit_code == 0
    first = out.read_bytes()
    assert b"Hello A" in first
    # a previous render is recognised by its first line and replaced
    (ws / "c.jsonl").write_text('{"name":"B","email":"b@example.com"}\n', encoding="utf-8")
    result = _render(invoke, "c.jsonl", "./h.md", "-p", "0", "--out", out.name)
    assert result.exit_code == 0, result.output
    assert b"Hello B" in out.read_bytes() and b"Hello A" not in out.read_bytes()


def test_render_out_folder_holding_the_contacts_file_is_refused(ws, invoke):
    (ws / "h.md").write_text(HELLO, encoding="utf-8")
    out = ws / "out"
    (ws / "c.jsonl").write_text('{"name":"A","email":"a@example.com"}\n', encoding="utf-8")
    assert _render(invoke, "c.jsonl", "./h.md", "-p", "0", "--out", "out").exit_code == 0
    (out / "c.jsonl").write_text('{"name":"B","email":"b@example.com"}\n', encoding="utf-8")
    result = _render(invoke, "out/c.jsonl", "./h.md", "-p", "0", "--out", "out")
    assert result.exit_code == 2, result.output
    assert "--out out holds the contacts file out/c.jsonl" in result.output
    assert (out / "c.jsonl").exists()


# -- 2. starttls against a server without STARTTLS -------------------------------------------


def _send(invoke, contacts: str, template: str, *more: str, via: str = "smtp"):
    return invoke(
        "outreach",
        "send",
        CAMPAIGN,
        "-c",
        contacts,
        "-t",
        template,
        "--via",
        via,
        "--quiet-hours",
        "none",
        *more,
    )


def test_starttls_not_offered_is_its_own_error_and_never_downgrades(ws, invoke, smtp, monkeypatch):
    """test_outreach_smtp's relay offers no STARTTLS; the security is left at its default."""
    sink, port = smtp, os.environ["XHSGROW_SMTP_PORT"]
    monkeypatch.delenv("XHSGROW_SMTP_SECURITY")
    (ws / "c.jsonl").write_text('{"name":"A","email":"a@example.com"}\n', encoding="utf-8")
    (ws / "h.md").write_text(HELLO, encoding="utf-8")
    result = _send(invoke, "c.jsonl", "./h.md", "--no-dry-run")
    assert result.exit_code == 2, result.output
    errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert errors == [
        f"Error: SMTP server 127.0.0.1:{port} offers no STARTTLS, but the SMTP security is "
        "starttls (the default)"
    ]
    assert "XHSGROW_SMTP_SECURITY=none" in result.stderr
    assert "AUTH" not in result.output and "XHSGROW_SMTP_USER" not in result.output
    assert sink.messages == []  # nothing went out in clear


# -- 3. a dry run counts the rows the send will fail without asking a server -----------------


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch):
    """An SMS-over-HTTP gateway on 127.0.0.1 that accepts every message; yields the bodies."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            data = b'{"code": 0}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("XHSGROW_SMS_URL", f"http://127.0.0.1:{server.server_address[1]}/sms")
    yield received
    server.shutdown()
    server.server_close()


def _counts(output: str) -> str:
    """The counts of a summary line, e.g. 'send 1, fail 2' for both a dry and a real run."""
    import re

    line = next(x for x in output.splitlines() if "(of " in x)
    sent = re.search(r"(?:would send|sent) (\d+)", line)
    failed = re.search(r"(?:would fail|failed) (\d+)", line)
    return f"send {sent[1] if sent else 0}, fail {failed[1] if failed else 0}"


@pytest.mark.parametrize(
    ("via", "column", "bad", "reason"),
    [
        (
            "smtp",
            "email",
            ["a@example.com, b@example.com", "Foo <foo@example.com>", ""],
            "invalid email address",
        ),
        ("sms-http", "phone", ["12345", "abc-def", ""], "invalid phone number"),
    ],
)
def test_dry_run_fails_the_rows_the_send_fails_locally(
    ws, invoke, smtp, gateway, monkeypatch, via, column, bad, reason
):
    import json

    monkeypatch.setenv("XHSGROW_SMTP_SECURITY", "none")
    good = "ok@example.com" if via == "smtp" else "13800000001"
    rows = [{"name": f"n{i}", column: value} for i, value in enumerate([good, *bad])]
    lines = [json.dumps(r) for r in rows]
    (ws / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ws / "h.md").write_text(HELLO, encoding="utf-8")

    dry = _send(invoke, "c.jsonl", "./h.md", "--no-limit", via=via)
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing sent: would send 1, would fail 3 (of 4" in dry.output
    assert dry.output.count(f"  {reason}") == 3
    sent = smtp.messages if via == "smtp" else gateway
    assert sent == []

    real = _send(invoke, "c.jsonl", "./h.md", "--no-limit", "--no-dry-run", via=via)
    assert real.exit_code == 1, real.output
    assert _counts(real.output) == _counts(dry.output) == "send 1, fail 3"
    assert real.output.count(f"  {reason}") == 3
    assert len(sent) == 1


# -- 4. masking is safe for any value ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a@example.com, b@example.com", "(masked: a***@example.com, b***@example.com)"),
        ("Foo <foo@example.com>", "(masked: f***@example.com)"),
        ("李娜 13812345678", "(masked: 138****5678)"),
        ("abc-def", "(masked)"),
        ("wang@leishan.example.cn", "w***@leishan.example.cn"),
        ("+86 138 1234 5678", "138****5678"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_mask_never_shows_more_than_the_masked_addresses(value, shown):
    from xhsgrow.outreach.mask import mask

    assert mask(value) == shown
    if value:
        with_line = shown[:-1] + ("; line 7)" if ":" in shown else ", line 7)")
        assert mask(value, 7) == (with_line if shown.startswith("(") else shown)
    else:
        assert mask(value, 7) == "(no address, line 7)"


def test_unparsed_addresses_are_masked_in_the_terminal_status_and_ledger(
    ws, invoke, smtp, monkeypatch
):
    import json
    import sqlite3

    sink = smtp
    monkeypatch.setenv("XHSGROW_SMTP_SECURITY", "none")
    values = ["a@example.com, b@example.com", "Foo <foo@example.com>", "ok@example.com"]
    lines = [json.dumps({"name": f"n{i}", "email": v}) for i, v in enumerate(values)]
    (ws / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ws / "h.md").write_text(HELLO, encoding="utf-8")
    outputs = [
        _send(invoke, "c.jsonl", "./h.md", "--no-limit").output,
        _send(invoke, "c.jsonl", "./h.md", "--no-limit", "--no-dry-run").output,
        invoke("outreach", "status", CAMPAIGN).output,
        invoke("outreach", "status", CAMPAIGN, "--format", "json").output,
    ]
    with sqlite3.connect(ws / ".xhsgrow" / "ledger.sqlite") as db:
        stored = sorted(r for (r,) in db.execute("SELECT recipient FROM messages"))
    assert stored == [
        "(masked: a***@example.com, b***@example.com)",
        "(masked: f***@example.com)",
        "o***@example.com",
    ]
    assert "(masked: a***@example.com, b***@example.com; line 1)  invalid email" in outputs[1]
    assert "(masked: f***@example.com; line 2)  invalid email" in outputs[1]
    for text in [*outputs, *stored]:
        for secret in ("a@", "b@", "foo@", "Foo", "ok@"):
            assert secret not in text, (secret, text)
    assert len(sink.messages) == 1


# -- 5. a JSON null is a missing value ---------------------------------------------------------


def test_a_null_contact_value_is_missing_not_the_word_none(ws, invoke):
    (ws / "n.jsonl").write_text(
        '{"name":"A","email":"a@example.com","extra":{"city":"Leishan"}}\n'
        '{"name":null,"email":"c@example.com","extra":{"city":null}}\n',
        encoding="utf-8",
    )
    (ws / "n.md").write_text(
        "Subject: Hi {{ contact.name }}\n\nHello {{ contact.name }}\n", encoding="utf-8"
    )
    result = _render(invoke, "n.jsonl", "./n.md", "-o", "out.jsonl")
    assert result.exit_code == 2, result.output
    assert "n.md:1: missing field 'name': it is null (contact on n.jsonl line 2)" in result.output
    assert "None" not in result.output
    assert not (ws / "out.jsonl").exists()

    (ws / "d.md").write_text(
        "Subject: Hi {{ contact.name | default('friend') }}\n\n"
        "{{ contact.extra.city | default('somewhere') }}\n",
        encoding="utf-8",
    )
    result = _render(invoke, "n.jsonl", "./d.md", "-p", "2")
    assert result.exit_code == 0, result.output
    assert "Subject: Hi A\n\nLeishan" in result.output
    assert "Subject: Hi friend\n\nsomewhere" in result.output
    assert "None" not in result.output


# -- 6a. a header xhsgrow does not take is named as such ---------------------------------------


@pytest.mark.parametrize(
    ("template", "via", "expected"),
    [
        ("X-Foo: bar\nSubject: s\n\nbody\n", "smtp", ""),
        ("X-Foo: bar\nSubject: s\n\nbody\n", "sms-http", ""),
        ("X-Foo: bar\n\nbody\n", "smtp", "no Subject: header (email needs one); "),
        ("Subject: s\nX-Foo: bar\n\nbody\n", "smtp", ""),
    ],
)
def test_an_unsupported_header_is_named_with_the_allowed_ones(ws, invoke, template, via, expected):
    (ws / "c.jsonl").write_text('{"name":"A","email":"a@example.com"}\n', encoding="utf-8")
    (ws / "x.md").write_text(template, encoding="utf-8")
    result = _render(invoke, "c.jsonl", "./x.md", "--via", via)
    assert result.exit_code == 2, result.output
    line = 2 if template.startswith("Subject") else 1
    assert (
        f"x.md: {expected}line {line} of the message: unknown header 'X-Foo' "
        "(allowed: Subject, From, Reply-To)"
    ) in result.output
    assert "HeaderError" not in result.output


def test_a_body_that_opens_like_a_header_is_still_a_body(ws, invoke):
    (ws / "c.jsonl").write_text('{"name":"A","phone":"13800000001"}\n', encoding="utf-8")
    (ws / "x.md").write_text("Note: bring your ID\n\nSee you\n", encoding="utf-8")
    result = _render(invoke, "c.jsonl", "./x.md", "--via", "sms-http")
    assert result.exit_code == 0, result.output
    assert "Note: bring your ID\n\nSee you" in result.output


# -- 6b. a field missing from the campaign or tracking is reported once ----------------------


def _two_contacts(ws: Path) -> None:
    (ws / "c2.csv").write_text(
        "name,email,vip\nA,a@example.com,\nB,b@example.com,y\nC,c@example.com,y\n",
        encoding="utf-8",
    )


def _problem_lines(result) -> list[str]:
    return [x for x in result.stderr.splitlines() if x.startswith("  ")]


def test_a_field_missing_from_the_campaign_is_reported_once_naming_it(ws, invoke):
    _two_contacts(ws)
    (ws / "g.md").write_text("Subject: {{ campaign.gala.year }}\n\nx\n", encoding="utf-8")
    result = _render(invoke, "c2.csv", "./g.md", campaign="example-referral")
    assert result.exit_code == 2, result.output
    expected = (
        "g.md:1: missing field 'gala' in campaign 'example-referral'; "
        "`xhsgrow show example-referral --format json` lists its fields"
    )
    assert _problem_lines(result) == [f"  {expected}"]
    assert f"Error: {expected}" in result.stderr
    assert "contact on" not in result.output


@pytest.mark.parametrize(
    "name, template, expected",
    [
        (  # a campaign field in a branch: says how many contacts reach it
            "v.md",
            "Subject: s\n\n{% if contact.vip %}{{ campaign.gift }}{% endif %}\n",
            "  v.md:3: missing field 'gift' in campaign 'example-referral'; `xhsgrow show "
            "example-referral --format json` lists its fields (for 2 of 3 contacts, first on "
            "c2.csv line 3)",
        ),
        (  # tracking without --data: reported once, asking for the data
            "t.md",
            "Subject: s\n\n{{ tracking.metrics.acquired }}\n",
            "  t.md:3: missing field 'metrics': `tracking` is empty without --data (and --as-of)",
        ),
    ],
    ids=["campaign-field-in-a-branch", "tracking-without-data"],
)
def test_a_field_missing_outside_the_contacts_is_reported_once(
    ws, invoke, name: str, template: str, expected: str
):
    _two_contacts(ws)
    (ws / name).write_text(template, encoding="utf-8")
    result = _render(invoke, "c2.csv", f"./{name}", campaign="example-referral")
    assert result.exit_code == 2, result.output
    assert _problem_lines(result) == [expected]


def test_a_field_missing_from_tracking_figures_names_them(ws):
    from xhsgrow.outreach.compose import Composer, RenderErrors, TemplateRef
    from xhsgrow.outreach.contacts import load_contacts

    _two_contacts(ws)
    source = "Subject: s\n\n{{ tracking.metrics.nope }} {{ contact.name }}\n"
    ref = TemplateRef("t.md", None, "path", ws / "t.md", source)
    context = {
        "campaign": {"id": "example-referral"},
        "tracking": {"metrics": {"acquired": 5}},
        "today": None,
    }
    composer = Composer(ref, None, context=context)
    with pytest.raises(RenderErrors) as err:
        composer.render_all(load_contacts(ws / "c2.csv"))
    assert [str(p) for p in err.value.problems] == [
        "t.md:3: missing field 'nope' in the tracking figures of campaign 'example-referral'"
    ]


def test_a_field_missing_from_the_contact_is_still_per_contact(ws, invoke):
    _two_contacts(ws)
    (ws / "s.md").write_text("Subject: {{ contact.shop }}\n\nx\n", encoding="utf-8")
    result = _render(invoke, "c2.csv", "./s.md", campaign="example-referral")
    assert result.exit_code == 2, result.output
    assert _problem_lines(result) == [
        f"  s.md:1: missing field 'shop' (contact on c2.csv line {n})" for n in (2, 3, 4)
    ]
    assert "Error: 3 of 3 contact(s) fail to render" in result.stderr
