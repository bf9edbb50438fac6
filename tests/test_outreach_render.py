"""outreach render: contacts files, strict and safe templates, built-in templates, figures."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from xhsgrow.outreach.errors import TemplateError
from xhsgrow.specs import init_workspace

DATA = Path(__file__).parent / "data" / "contacts"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    init_workspace(tmp_path)  # example-referral, example-partnership, example-gala
    for f in DATA.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


@pytest.fixture
def render(invoke):
    """Run `outreach render CAMPAIGN -c CONTACTS -t TEMPLATE [more...]` (campaign defaults to
    example-partnership)."""

    def _render(contacts: str, template: str, *more: str, campaign: str = "example-partnership"):
        return invoke("outreach", "render", campaign, "-c", contacts, "-t", template, *more)

    return _render


def _tpl(ws: Path, name: str, text: str) -> Path:
    path = ws / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _eml(path: Path):
    import email
    import email.policy

    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert not msg.defects
    return msg


def _plain(path: Path) -> str:
    return _eml(path).get_body(("plain",)).get_content()


def _html(path: Path) -> str:
    return _eml(path).get_body(("html",)).get_content()


# -- contacts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "names"),
    [
        ("merchants.csv", ["王建国", "李娜", "Zhang Wei"]),
        ("merchants-bom-semicolon.csv", ["杨梅", "吴刚"]),
        ("fans.tsv", ["陈晨", "刘洋"]),
        ("referral.jsonl", ["小雨", "Amy"]),
    ],
)
def test_contacts_in_every_supported_shape_render_one_message_each(ws, render, file, names):
    tpl = "Subject: Hi {{ contact.name }}\n\nHello {{ contact.name }}.\n"
    _tpl(ws, "hi.md", tpl)
    out = ws / "out"
    result = render(file, "hi", "-o", str(out), "--via", "webhook")
    assert result.exit_code == 0, result.output
    texts = [p.read_text(encoding="utf-8") for p in sorted(out.glob("*.txt"))]
    assert texts == [f"Subject: Hi {n}\n\nHello {n}.\n" for n in names]


def test_a_quoted_field_with_the_delimiter_stays_one_field(ws, render):
    _tpl(ws, "shop.md", "Subject: x\n\n[{{ contact.shop }}]\n")
    result = render("merchants.csv", "shop", "-p", "2")
    assert "[苗家茶舍, 西江店]" in result.output


def test_gbk_contacts_are_refused_with_the_fix(ws, render):
    result = render("merchants-gbk.csv", "merchant-invite.zh")
    assert result.exit_code == 2
    assert "GBK" in result.output and "UTF-8" in result.output
    assert "iconv -f GBK -t UTF-8" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("bad-fields.csv", "bad-fields.csv:3: 4 fields, but the header has 3"),
        ("bad.jsonl", "bad.jsonl:2: not valid JSON"),
        ("missing.csv", "missing.csv: no such contacts file"),
    ],
)
def test_bad_contact_files_name_the_file_and_line(ws, render, file, expected):
    result = render(file, "merchant-invite.zh", "-o", "out")
    assert result.exit_code == 2
    assert expected in result.output
    assert not (ws / "out").exists()


def test_empty_contacts_file_is_an_error(ws, render):
    (ws / "empty.csv").write_text("name,email\n", encoding="utf-8")
    result = render("empty.csv", "merchant-invite.zh")
    assert result.exit_code == 2
    assert "no contacts" in result.output


def test_contacts_file_of_delimiters_only_has_no_header(ws, render):
    (ws / "commas.csv").write_text(",,,\n", encoding="utf-8")
    result = render("commas.csv", "merchant-invite.zh")
    assert result.exit_code == 2
    assert "commas.csv: no header line" in result.output


# -- strict templates ------------------------------------------------------------------------


def test_missing_field_is_reported_for_every_row_with_template_line(ws, render):
    # line 4 uses contact.city; only fans.tsv has it -> merchants.csv fails on all 3 rows
    _tpl(ws, "city.md", "Subject: Hello\n\nDear {{ contact.name }},\n{{ contact.city }} awaits.\n")
    result = render("merchants.csv", "city", "-o", "out")
    assert result.exit_code == 2
    for line in (2, 3, 4):  # the three contact rows of merchants.csv
        assert "city.md:4: missing field 'city'" in result.output
        assert f"merchants.csv line {line})" in result.output
    assert "3 of 3 contact(s) fail to render" in result.output
    assert not (ws / "out").exists()


def test_template_syntax_error_names_the_line(ws, render):
    _tpl(ws, "broken.md", "Subject: x\n\nHello\n{% if contact.name %}\nno endif\n")
    result = render("merchants.csv", "broken")
    assert result.exit_code == 2
    assert re.search(r"broken\.md:\d+: template syntax error", result.output)


def test_a_template_or_an_include_that_is_not_utf8_is_one_line(ws, render):
    gbk = _tpl(ws, "gbk.md", "x")
    gbk.write_bytes("Subject: 你好\n\n{{ contact.name }}\n".encode("gbk"))
    result = render("merchants.csv", "gbk")
    assert result.exit_code == 2
    # as docs/outreach.md says: the file, the line of the first byte that is not UTF-8, the fix
    assert f"Error: {gbk}:1: template is not UTF-8 text; save it as UTF-8\n" in result.stderr
    # an included one fails once, naming its line, not once per contact
    _tpl(ws, "outer.md", 'Subject: hi\n\n{% include "gbk.md" %}\n')
    result = render("merchants.csv", "outer")
    assert result.exit_code == 2
    errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert errors == [f"Error: {gbk}:1: template is not UTF-8 text; save it as UTF-8"]
    assert "UnicodeDecodeError" not in result.output


def test_unknown_template_name_points_at_the_listing(ws, render):
    result = render("merchants.csv", "no-such-template")
    assert result.exit_code == 2
    assert "no template 'no-such-template'" in result.output
    assert "xhsgrow templates" in result.output


def test_email_template_without_subject_is_an_error(ws, render):
    _tpl(ws, "nosubject.md", "Hello {{ contact.name }}\n")
    result = render("merchants.csv", "nosubject", "--via", "smtp")
    assert result.exit_code == 2
    assert "no Subject: header" in result.output


def test_unknown_header_is_an_error(ws, render):
    _tpl(ws, "to.md", "Subject: hi\nBcc: boss@example.com\n\nHello\n")
    result = render("merchants.csv", "to")
    assert result.exit_code == 2
    assert "unknown header 'Bcc'" in result.output


def test_number_filters_take_csv_text_and_name_a_bad_value(ws, render):
    (ws / "amounts.csv").write_text(
        "name,email,amount\nA,a@example.cn,12345\nB,b@example.cn,\nC,c@example.cn,lots\n",
        encoding="utf-8",
    )
    _tpl(ws, "amount.md", "Subject: x\n\n{{ contact.amount | money }} {{ contact.amount | wan }}\n")
    result = render("amounts.csv", "amount")
    assert result.exit_code == 2
    assert "amount.md:3: ValueError: not a number: 'lots' (contact on amounts.csv line 4)" in (
        result.output
    )
    assert "1 of 3 contact(s) fail to render" in result.output
    (ws / "amounts.csv").write_text(
        "name,email,amount\nA,a@example.cn,12345\nB,b@example.cn,\n", encoding="utf-8"
    )
    result = render("amounts.csv", "amount", "-p", "2")
    assert result.exit_code == 0, result.output
    assert "¥12,345 1.2万" in result.output and "— —" in result.output


# -- safety --------------------------------------------------------------------------------


def test_contact_data_is_data_never_template_code_markup_or_headers(ws, render):
    _tpl(
        ws,
        "inj.md",
        "Subject: Hello {{ contact.name }}\n\nDear {{ contact.name }} of {{ contact.shop }}.\n",
    )
    out = ws / "out"
    result = render("injection.csv", "inj", "-o", str(out))
    assert result.exit_code == 0, result.output
    first = _plain(out / "000001.eml")
    assert "Dear {{ 7*7 }} of {{ ''.__class__.__mro__ }}." in first
    assert "49" not in first
    html2 = _html(out / "000002.eml")
    assert "<script>" not in html2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html2
    assert "<strong>" not in html2 and "<a " not in html2  # the contact's Markdown is text
    assert "**VIP** [click](javascript:alert(1))" in html2
    third = _eml(out / "000003.eml")
    assert third["Subject"] == "Hello Eve Bcc: victim@example.com"
    assert third["Bcc"] is None


def test_template_cannot_reach_python_internals(ws, render):
    _tpl(ws, "evil.md", "Subject: x\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    result = render("merchants.csv", "evil", "-o", "out")
    assert result.exit_code == 2
    assert "unsafe" in result.output or "missing field" in result.output
    assert not (ws / "out").exists()


def test_markdown_in_the_template_becomes_html_and_links_are_safe(ws, render):
    _tpl(
        ws,
        "md.md",
        "Subject: x\n\n**Hi** {{ contact.name }}, see [the plan]("
        "{{ contact.email }}) and <b>raw</b>.\n",
    )
    out = ws / "out"
    render("merchants.csv", "md", "-o", str(out))
    html = _html(out / "000001.eml")
    assert "<strong>Hi</strong> 王建国" in html
    assert 'href="wang.jianguo@leishan-silver.example.cn"' in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html  # raw HTML in a template is shown, not run


def test_javascript_url_from_data_is_neutralised(ws, render):
    (ws / "links.csv").write_text("name,url\nA,javascript:alert(1)\n", encoding="utf-8")
    _tpl(ws, "link.md", "Subject: x\n\n[open]({{ contact.url }})\n")
    render("links.csv", "link", "-o", "out")
    html = _html(ws / "out" / "000001.eml")
    assert "javascript:" not in html
    assert 'href="#"' in html


# -- templates: lookup and built-ins --------------------------------------------------------


def test_template_by_path_and_workspace_overrides_builtin(ws, render):
    _tpl(ws, "outreach/gala-reminder.zh.md", "Subject: 自定义提醒\n\n{{ contact.name }}，今晚见\n")
    result = render("merchants.csv", "gala-reminder.zh", campaign="example-gala")
    assert "Subject: 自定义提醒" in result.output and "王建国，今晚见" in result.output
    path = ws / "elsewhere.txt"
    path.write_text("短信：{{ contact.name }}\n", encoding="utf-8")
    result = render("merchants.csv", str(path), "--via", "sms-http", campaign="example-gala")
    assert "短信：王建国" in result.output


BUILTINS = [
    ("example-partnership", "partner-milestone.zh", "smtp", "尊敬的王建国："),
    ("example-partnership", "partner-milestone.en", "smtp", "\nDear 王建国,"),
    ("example-partnership", "merchant-invite.zh", "smtp", "诚邀「雷山银饰坊」入驻小红书"),
    ("example-partnership", "merchant-invite.en", "smtp", "bring 雷山银饰坊 to Xiaohongshu"),
    ("example-gala", "gala-reminder.zh", "smtp", "除夕夜"),
    ("example-gala", "gala-reminder.en", "smtp", "Spring Festival Gala"),
]


@pytest.mark.parametrize(("campaign", "template", "via", "expect"), BUILTINS)
def test_builtin_email_templates_render(ws, render, campaign, template, via, expect):
    result = render("merchants.csv", template, "-p", "3", "--via", via, campaign=campaign)
    assert result.exit_code == 0, result.output
    assert expect in result.output
    assert result.output.count("Subject: ") == 3


def test_gala_reminder_names_the_eve_and_rounds(ws, render):
    from xhsgrow.specs import load_campaigns
    from xhsgrow.workspace import open_workspace

    (gala,) = load_campaigns(open_workspace(ws), ["example-gala"])
    night = next(p for p in gala.gala.phases if p.name == "gala_night").start
    result = render("merchants.csv", "gala-reminder.zh", campaign="example-gala")
    assert f"除夕（{night.month}月{night.day}日）" in result.output
    for r in gala.gala.rounds:
        assert f"- {r.at:%H:%M} {r.name}" in result.output


@pytest.mark.parametrize("template", ["referral-invite.zh", "referral-invite.en"])
def test_referral_invite_is_a_short_body_only_sms(ws, render, template):
    out = ws / "out"
    result = render(
        "referral.jsonl", template, "--via", "sms-http", "-o", str(out), campaign="example-referral"
    )
    assert result.exit_code == 0, result.output
    texts = [p.read_text(encoding="utf-8") for p in sorted(out.glob("*.txt"))]
    assert not list(out.glob("*.html"))
    assert "Subject:" not in texts[0]
    assert "XHS8K2" in texts[0] and "¥10" in texts[0]  # example-referral: referee gets ¥10
    assert len(texts[0].strip()) <= 140  # one long SMS at most (70 Chinese chars a part)
    assert ("拒收请回复R" if template.endswith("zh") else "Reply STOP") in texts[0]


def test_preview_masks_addresses(ws, render):
    result = render("merchants.csv", "merchant-invite.zh", "-p", "2", "--via", "sms-http")
    assert "To: 138****5678" in result.output and "To: 139****1111" in result.output
    assert "13812345678" not in result.output


# -- tracking figures ----------------------------------------------------------------------


def _tracking(campaign_id: str, acquired: int, merchants: int):
    from xhsgrow.tracking.result import CampaignResult, DataQuality, TrackingResult

    day = dt.date(2027, 3, 1)
    c = CampaignResult(
        id=campaign_id,
        kind="partnership",
        name="x",
        status="on_track",
        spec_status="live",
        as_of=day,
        window_start=day,
        window_end=day,
        timezone="Asia/Shanghai",
        elapsed_share=0.5,
        budget=1.0,
        currency="CNY",
        metrics={"acquired": acquired, "merchants_onboarded": merchants},
        targets=(),
    )
    return TrackingResult(day, dt.datetime(2027, 3, 1, 9), "test", (c,), DataQuality())


def test_tracking_figures_reach_the_template(ws):
    from xhsgrow.outreach.api import render_messages
    from xhsgrow.outreach.figures import campaign_figures
    from xhsgrow.workspace import open_workspace

    figures = campaign_figures(
        _tracking("example-partnership", 382_000, 1_320), "example-partnership"
    )
    rendered = render_messages(
        open_workspace(ws),
        "example-partnership",
        contacts=ws / "merchants.csv",
        template="partner-milestone.zh",
        tracking=figures,
    )
    text = rendered.messages[0].text
    assert "数据概览（截至2027-03-01）" in text
    assert "合作地区新增用户：38.2万" in text  # 382,000 / 10,000
    assert "已入驻商家：1,320 家" in text
    assert "符合预期" in text


def test_figures_for_an_unknown_campaign_is_an_error():
    from xhsgrow.errors import UsageError
    from xhsgrow.outreach.figures import campaign_figures

    with pytest.raises(UsageError, match="no figures for campaign 'other'"):
        campaign_figures(_tracking("example-partnership", 1, 1), "other")


def test_render_out_is_all_or_nothing_and_replaces_only_its_own_folder(ws, render):
    out = ws / "out"
    result = render("merchants.csv", "merchant-invite.zh", "-o", str(out), "-p", "0")
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "000001.eml",
        "000002.eml",
        "000003.eml",
    ]
    # a second render replaces the first one's files
    result = render("merchants-bom-semicolon.csv", "merchant-invite.zh", "-o", str(out))
    assert result.exit_code == 0
    assert len(list(out.glob("*.eml"))) == 2
    # a failing render leaves the previous output alone and no partial folder behind
    _tpl(ws, "bad.md", "Subject: x\n\n{{ contact.nope }}\n")
    result = render("merchants.csv", "bad", "-o", str(out))
    assert result.exit_code == 2
    assert len(list(out.glob("*.eml"))) == 2
    assert [p.name for p in ws.iterdir() if p.name.startswith(".out")] == []
    # a folder holding other files is refused
    other = ws / "notes"
    other.mkdir()
    (other / "keep.md").write_text("mine", encoding="utf-8")
    result = render("merchants.csv", "merchant-invite.zh", "-o", str(other))
    assert result.exit_code == 2 and "holds other files" in result.output
    assert [p.name for p in other.iterdir()] == ["keep.md"]


def test_out_that_is_an_existing_file_is_refused(ws, render):
    (ws / "notes.txt").write_text("notes", encoding="utf-8")
    result = render("merchants.csv", "merchant-invite.zh", "-o", "notes.txt")
    assert result.exit_code == 2 and "exists and is not a folder" in result.output
    assert (ws / "notes.txt").read_text(encoding="utf-8") == "notes"
    # the contacts file itself gets the more telling message (test_outreach_fixes.py)
    before = (ws / "merchants.csv").read_bytes()
    result = render("merchants.csv", "merchant-invite.zh", "-o", "merchants.csv")
    assert result.exit_code == 2 and "is the contacts file merchants.csv" in result.output
    assert (ws / "merchants.csv").read_bytes() == before


@pytest.mark.parametrize("out", ["afile/out", "afile/out.jsonl"])
def test_out_under_a_file_is_one_line_naming_it(ws, render, out):
    (ws / "afile").write_text("a file, not a folder", encoding="utf-8")
    result = render("merchants.csv", "merchant-invite.zh", "-o", out)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert errors == [f"Error: cannot write {out}: Not a directory"]
    assert (ws / "afile").read_text(encoding="utf-8") == "a file, not a folder"


def test_data_option_puts_todays_tracking_figures_in_the_message(ws, render):
    from xhsgrow.data.demo import write_demo_events
    from xhsgrow.specs import load_campaigns
    from xhsgrow.tracking.engine import track
    from xhsgrow.workspace import open_workspace

    w = open_workspace(ws)
    (campaign,) = load_campaigns(w, ["example-partnership"])
    as_of = campaign.window.start + dt.timedelta(days=40)
    events = write_demo_events([campaign], ws / "events.parquet", events=3000, seed=7, as_of=as_of)
    figures = track(w, [campaign], data=str(events), as_of=as_of).campaigns[0].metrics
    result = render(
        "merchants.csv", "partner-milestone.en", "--data", str(events), "--as-of", as_of.isoformat()
    )
    assert result.exit_code == 0, result.output
    assert f"## Figures (as of {as_of})" in result.output
    assert f"New users in the partner region: {figures['acquired']:,}" in result.output
    merchants = figures["merchants_onboarded"]
    assert f"Merchants onboarded: {merchants:,}" in result.output


def test_parallel_render_numbers_files_in_contact_order_and_is_all_or_nothing(ws):
    from xhsgrow.outreach.api import render_files
    from xhsgrow.workspace import open_workspace

    rows = "".join(f"客户{i},c{i}@example.cn,{'北京' if i != 7 else ''}\n" for i in range(1, 10))
    (ws / "many.csv").write_text("name,email,city\n" + rows, encoding="utf-8")
    _tpl(
        ws,
        "p.md",
        "Subject: {{ contact.name }}\n\n{{ contact.name }} in "
        "{{ contact.city or undefined_city }}\n",
    )
    w = open_workspace(ws)
    with pytest.raises(TemplateError) as err:  # row 7 (line 8) is in the last worker's share
        render_files(
            w, "example-partnership", ws / "par", contacts=ws / "many.csv", template="p", workers=3
        )
    assert "1 of 9 contact(s) fail to render" in str(err.value)
    assert "many.csv line 8" in str(err.value)
    assert not (ws / "par").exists() and not list(ws.glob(".par*"))
    rows = rows.replace(",\n", ",上海\n")
    (ws / "many.csv").write_text("name,email,city\n" + rows, encoding="utf-8")
    n, first = render_files(
        w,
        "example-partnership",
        ws / "par",
        contacts=ws / "many.csv",
        template="p",
        workers=3,
        keep=2,
    )
    assert n == 9 and [m.subject for m in first] == ["客户1", "客户2"]
    for i in range(1, 10):
        msg = _eml(ws / "par" / f"{i:06d}.eml")
        assert msg["Subject"] == f"客户{i}"
        assert msg["To"].addresses[0].addr_spec == f"c{i}@example.cn"


@pytest.mark.parametrize("workers", [1, 3])
def test_render_to_one_jsonl_or_mbox_file_keeps_contact_order(ws, workers):
    import json
    import mailbox
    from email.header import decode_header, make_header

    from xhsgrow.outreach.api import render_files
    from xhsgrow.workspace import open_workspace

    rows = "".join(f"客户{i},店{i},c{i}@example.cn\n" for i in range(1, 8))
    (ws / "seven.csv").write_text("name,shop,email\n" + rows, encoding="utf-8")
    w = open_workspace(ws)
    n, _ = render_files(
        w,
        "example-partnership",
        ws / "all.jsonl",
        contacts=ws / "seven.csv",
        template="merchant-invite.zh",
        workers=workers,
    )
    docs = [json.loads(line) for line in (ws / "all.jsonl").read_text("utf-8").splitlines()]
    assert n == 7 and [d["to"] for d in docs] == [f"c{i}@example.cn" for i in range(1, 8)]
    assert docs[0]["line"] == 2 and docs[0]["html"].startswith("<!DOCTYPE html>")
    render_files(
        w,
        "example-partnership",
        ws / "all.mbox",
        contacts=ws / "seven.csv",
        template="merchant-invite.zh",
        workers=workers,
    )
    subjects = [
        str(make_header(decode_header(m["Subject"]))) for m in mailbox.mbox(ws / "all.mbox")
    ]
    assert subjects == [f"诚邀「店{i}」入驻小红书 · 雷山县好物计划" for i in range(1, 8)]
    assert not list(ws.glob(".all*"))
