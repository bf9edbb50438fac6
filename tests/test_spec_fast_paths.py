"""The short cuts that keep `xhsgrow validate` fast give the same answers as the plain way.

Field descriptions live in docstrings (read only for the JSON Schema), division codes are
looked up in the table's text, and the secret patterns run only where their literal part
occurs: each is checked here against what it replaced.
"""

from __future__ import annotations

import inspect
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel

from xhsgrow.specs import divisions, models
from xhsgrow.specs.secrets import secret_reason

SPEC_MODELS = [
    cls
    for cls in vars(models).values()
    if inspect.isclass(cls)
    and issubclass(cls, BaseModel)
    and cls.__module__ == models.__name__
    and not cls.__name__.startswith("_")
]


@pytest.mark.parametrize("model", SPEC_MODELS, ids=lambda m: m.__name__)
def test_every_spec_key_has_a_description(model: type[BaseModel]) -> None:
    # editors show these as hints and docs/specs.md lists them: a key without one is a gap
    docs = models.field_docs(model)
    assert set(docs) >= set(model.model_fields), (
        f"{model.__name__}: write a docstring under {sorted(set(model.model_fields) - set(docs))}"
    )
    assert all(docs[name].strip() for name in model.model_fields)


def test_schema_descriptions_come_from_the_docstrings() -> None:
    from xhsgrow.specs import json_schema

    schema = json_schema("gala")
    window = schema["$defs"]["Window"]["properties"]
    assert window["timezone"]["description"] == "IANA timezone the days are counted in."
    # inherited fields and fields holding a model ($ref) are described too
    assert (
        schema["properties"]["name"]["description"]
        == models.field_docs(models.GalaCampaign)["name"]
    )
    assert schema["properties"]["gala"] == {
        "$ref": "#/$defs/GalaSection",
        "description": "The night, phases, rounds and capacity.",
    }


def test_division_lookups_agree_with_the_whole_table() -> None:
    table = divisions.divisions()
    assert len(table) > 3000
    for code, name in table.items():
        assert divisions.is_division(code)
        assert divisions.name(code) == name


@given(st.text(max_size=8))
@example("522634")
@example("52263")
@example("5226340")
@example("522634\t")
@example("\n522634")
@example("５２２６３４")  # full-width digits are not a code
def test_any_text_is_a_division_exactly_when_the_table_lists_it(code: str) -> None:
    table = divisions.divisions()
    assert divisions.is_division(code) == (code in table)
    assert divisions.name(code) == table.get(code, code)


# The patterns as they were compiled before the literal-part checks were put in front of them.
_PLAIN = {
    "webhook": re.compile(
        r"(open\.feishu\.cn/open-apis/bot/v2/hook/|open\.larksuite\.com/open-apis/bot/v2/hook/|"
        r"qyapi\.weixin\.qq\.com/cgi-bin/webhook/send|oapi\.dingtalk\.com/robot/send|"
        r"hooks\.slack\.com/services/)",
        re.IGNORECASE,
    ),
    "url": re.compile(
        r"\b[a-z][a-z0-9+.-]*://([^\s]*[?&](key|token|access_token|secret|sig|signature|api_key|"
        r"apikey|password)=[^&\s]+|[^/\s:@]+:[^/\s@]+@)",
        re.IGNORECASE,
    ),
    "api": re.compile(
        r"^(sk-[A-Za-z0-9_-]{16,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|"
        r"ghp_[A-Za-z0-9]{30,}|gh[ousr]_[A-Za-z0-9]{30,}|AIza[0-9A-Za-z_-]{30,})$"
    ),
    "key": re.compile(
        r"(^|_)(password|passwd|secret|token|api_?key|access_?key|private_?key|webhook_?url|"
        r"signing_?key|credentials?)($|_)",
        re.IGNORECASE,
    ),
}


def _plain_reason(key: str, value: str) -> str | None:
    if not value.strip():
        return None
    if _PLAIN["webhook"].search(value):
        return "looks like a chat webhook URL, which carries its token"
    if _PLAIN["url"].search(value):
        return "looks like a URL with a token or password in it"
    if _PLAIN["api"].match(value.strip()):
        return "looks like an API key"
    if _PLAIN["key"].search(key):
        return f"'{key}' holds a secret"
    return None


_KEYS = st.sampled_from(
    [
        "notes",
        "owner",
        "password",
        "db_passwd",
        "API_KEY",
        "webhook_url",
        "signing_key",
        "credentials",
        "keynote",
        "token_budget",
        "paſſword",  # a long s matches 's' when case is ignored
        "api_\u212aey",  # so does the Kelvin sign for 'k'
        "秘密",
    ]
)
_VALUES = st.one_of(
    st.text(max_size=30),
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(
                [
                    "https://",
                    "HTTPS://",
                    "x",
                    "/",
                    "?token=",
                    "&sig=",
                    "abc",
                    "u:p@",
                    " ",
                    "hooks.slack.com/services/",
                    "OAPI.DINGTALK.COM/robot/send",
                    "sk-",
                    "AKIA",
                    "ghp_",
                    "xoxb-",
                    "AIza",
                    "A" * 16,
                    "b1" * 16,
                ]
            ),
            max_size=8,
        ),
    ),
)


@given(_KEYS, _VALUES)
@example("notes", "see https://bi.example.cn/d?token=abc")
@example("notes", "https://open.feishu.cn/open-apis/bot/v2/hook/abc")
@example("note", "  sk-abcdefghijklmnopqrstuvwx  ")
@example("paſſword", "hunter2")
@example("api_\u212aey", "hunter2")
def test_secret_checks_agree_with_the_plain_patterns(key: str, value: str) -> None:
    assert secret_reason(key, value) == _plain_reason(key, value)
