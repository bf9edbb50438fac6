"""Specs on disk: create, find, validate many, and export their JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from xhsgrow.errors import Problem, SpecError, UsageError

if TYPE_CHECKING:
    from xhsgrow.workspace import Workspace


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a kind's spec, for editors and for checking specs with jsonschema."""
    from xhsgrow.specs.models import KINDS, MODELS, DescribedSchema

    if kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}")
    # DescribedSchema: the field descriptions are docstrings in models.py, not Field()s
    generated = MODELS[kind].model_json_schema(mode="validation", schema_generator=DescribedSchema)
    generated = _for_toml(generated)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"xhsgrow {kind} campaign spec",
        **{k: v for k, v in generated.items() if k != "title"},
    }
    return schema


# Times in specs are TOML local date-times (2027-02-05T20:00:00, or with a space for the T):
# the window's timezone applies, and `validate` refuses offsets. JSON Schema's "date-time"
# format (RFC 3339) requires an offset, so a pattern describes them instead.
_LOCAL_DATE_TIME = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$"
# A string that must not be empty is stripped first (models.Text): blanks alone are empty too.
_BLANK = {"pattern": r"^\s*$"}


def _for_toml(node: Any) -> Any:
    """Adapt pydantic's schema to TOML: TOML has no null (an optional key is left out) and its
    local date-times have no offset, which JSON Schema's "date-time" format requires. A
    non-empty string also refuses blanks only, as `validate` does (it strips them first)."""
    if isinstance(node, list):
        return [_for_toml(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _for_toml(v) for k, v in node.items()}
    branches = out.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1:
            out = {**rest[0], **out}
        else:
            out["anyOf"] = rest
        if out.get("default", 0) is None:
            del out["default"]
    if out.get("format") == "date-time":
        del out["format"]
        out["pattern"] = _LOCAL_DATE_TIME
    if out.get("type") == "string" and out.get("minLength") == 1 and "pattern" not in out:
        out["not"] = dict(_BLANK)
    return out


def write_schemas(root: Path, *, overwrite: bool = True) -> list[Path]:
    """Write schemas/KIND.schema.json for every kind (the targets of the `#:schema` lines).
    With ``overwrite=False`` a schema file that exists is left as it is (`init`, which never
    overwrites a file)."""
    import json

    from xhsgrow.fileio import write_text_atomic
    from xhsgrow.specs.models import KINDS

    out = []
    folder = root / "schemas"
    for kind in KINDS:
        path = folder / f"{kind}.schema.json"
        if not overwrite and path.is_file():
            out.append(path)
            continue
        text = json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            write_text_atomic(path, text, make_parents=True, display=display_path(path))
        out.append(path)
    return out


def render_new(kind: str, campaign_id: str) -> str:
    """The text `xhsgrow new` writes: schema line, then the canonical scaffold."""
    import tomli_w

    from xhsgrow.specs.fmt import format_text
    from xhsgrow.specs.scaffold import scaffold, schema_comment

    text = schema_comment(kind) + tomli_w.dumps(scaffold(kind, campaign_id), multiline_strings=True)
    return format_text(text)


def new_spec(ws: Workspace, kind: str, campaign_id: str, *, force: bool = False) -> Path:
    """Write campaigns/ID.toml from the kind's scaffold; refuse to overwrite unless ``force``.

    Also (re)writes schemas/, the target of the spec's ``#:schema`` line. The spec is written
    last, after its own path was checked: a failure leaves no new spec behind, which a rerun
    would refuse as "already exists" until given --force."""
    from xhsgrow.fileio import check_writable

    path = _spec_target(ws, kind, campaign_id, force=force)
    text = render_new(kind, campaign_id)
    check_writable(path, make_parents=True, display=display_path(path))
    write_schemas(ws.root)
    _write_new(path, text)
    return path


def _write_spec(ws: Workspace, kind: str, campaign_id: str, *, force: bool) -> Path:
    path = _spec_target(ws, kind, campaign_id, force=force)
    _write_new(path, render_new(kind, campaign_id))
    return path


#: The longest id whose spec file, ``ID.toml``, a file system can hold (255 bytes a name).
MAX_ID_LENGTH = 250


def is_campaign_id(text: str) -> bool:
    """Whether ``text`` has the shape of a campaign id (docs/specs.md): lower-case letters,
    digits, '-' and '_', starting with a letter or digit, at most ``MAX_ID_LENGTH`` long.
    Nothing else names a spec file: ``../other`` or ``./ref`` would reach files outside
    campaigns/ or under another name, and a longer name is no file at all (the file system
    refuses it with an error rather than "no such file")."""
    import re

    return len(text) <= MAX_ID_LENGTH and re.fullmatch(r"[a-z0-9][a-z0-9_-]*", text) is not None


def _id_problem(text: str) -> str:
    """Why ``text`` is not a campaign id, in one line."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    if len(text) > MAX_ID_LENGTH:
        return f"'{shown}' is not a valid id: at most {MAX_ID_LENGTH} characters"
    return (
        f"'{shown}' is not a valid id: use lower-case letters, digits, '-' and '_', "
        "starting with a letter or digit"
    )


def _spec_target(ws: Workspace, kind: str, campaign_id: str, *, force: bool) -> Path:
    """campaigns/ID.toml, once kind and id are valid and it may be (over)written."""
    from xhsgrow.specs.models import KINDS

    if kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}")
    if not is_campaign_id(campaign_id):
        raise UsageError(_id_problem(campaign_id))
    path = ws.spec_path(campaign_id)
    _refuse_dangling_link(path)
    if path.exists() and not force:
        raise UsageError(f"{display_path(path)} already exists", hint="use --force to overwrite it")
    return path


def _refuse_dangling_link(path: Path) -> None:
    """A symlink to nothing is refused, --force or not: writing through it would create its
    target (and the target's folders) wherever it points, even outside the workspace, and
    replacing it would silently undo whoever made the link."""
    import os

    if path.is_symlink() and not path.exists():
        raise UsageError(
            f"{display_path(path)} is a dangling link (to {os.readlink(path)}, which does not "
            "exist)",
            hint=f"remove the link (rm {display_path(path)}) or create its target first",
        )


def _write_new(path: Path, text: str) -> None:
    from xhsgrow.fileio import write_text_atomic

    write_text_atomic(path, text, make_parents=True, display=display_path(path))


EXAMPLE_IDS = {
    "referral": "example-referral",
    "partnership": "example-partnership",
    "gala": "example-gala",
}


def init_workspace(root: Path) -> list[Path]:
    """Create a workspace with xhsgrow.toml and an example campaign of each kind.

    All or nothing: a file where one of its folders goes is refused before anything is made,
    and a later failure (no permission, a full disk) removes what this call created, so a
    rerun after fixing the cause starts from the same place. Either way one UsageError."""
    from xhsgrow.fileio import write_text_atomic
    from xhsgrow.specs.models import KINDS
    from xhsgrow.workspace import SETTINGS_FILE, Workspace, load_settings

    settings_path = root / SETTINGS_FILE
    targets = [settings_path, *(root / "campaigns" / f"{i}.toml" for i in EXAMPLE_IDS.values())]
    existing = [p for p in targets if p.exists() or p.is_symlink()]  # a dangling link too
    if existing:
        raise UsageError(
            f"{existing[0]} already exists; init never overwrites",
            hint="pick an empty folder, or use `xhsgrow new` to add campaigns",
        )
    folders = [root, *(root / name for name in ("campaigns", "templates", "schemas"))]
    for folder in folders:
        blocker = _blocking(folder)
        if blocker is not None:
            what = "a file, not a folder" if blocker.is_file() else "not a folder"
            raise UsageError(f"cannot create workspace {root}: {blocker} is {what}")
    created: list[Path] = []  # undone in reverse order if a later step fails
    try:
        for folder in folders:
            _make_folder(folder, root, created)
        write_text_atomic(settings_path, _SETTINGS_TEMPLATE, display=display_path(settings_path))
        created.append(settings_path)
        ws = Workspace(root, load_settings(settings_path))
        written = [settings_path]
        for kind, cid in EXAMPLE_IDS.items():
            written.append(_write_spec(ws, kind, cid, force=False))
            created.append(written[-1])
        new_schemas = [
            p for p in (root / "schemas" / f"{k}.schema.json" for k in KINDS) if not p.exists()
        ]
        created.extend(new_schemas)  # before writing: a failure may come after some of them
        write_schemas(root, overwrite=False)  # once, not once per example; never over a file
    except BaseException:  # Ctrl-C included
        _undo(created)
        raise
    return written


def _blocking(folder: Path) -> Path | None:
    """What stands in the way of creating ``folder``: itself or its nearest existing
    ancestor, when that is not a folder."""
    from xhsgrow.fileio import nearest_existing

    nearest = nearest_existing(folder)
    return None if nearest.is_dir() else nearest


def _make_folder(folder: Path, root: Path, created: list[Path]) -> None:
    """mkdir -p, recording each folder it creates."""
    missing = []
    while not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except OSError as exc:
            where = "" if path == root else f"{path}: "
            raise UsageError(
                f"cannot create workspace {root}: {where}{exc.strerror or exc}"
            ) from None
        created.append(path)


def _undo(created: list[Path]) -> None:
    import contextlib

    for path in reversed(created):
        with contextlib.suppress(OSError):  # best effort: the error being raised matters more
            if path.is_dir() and not path.is_symlink():
                path.rmdir()  # only if still empty: never anything this call did not make
            else:
                path.unlink(missing_ok=True)


_SETTINGS_TEMPLATE = """\
# xhsgrow workspace settings. Every key is optional; the values shown are the defaults.
timezone = "Asia/Shanghai"
currency = "CNY"

[thresholds]
on_track = 0.95   # pace at or above this is on track
at_risk = 0.8     # at or above this is at risk; below is off track

[data]
# source = "data/events/*.parquet"   # or set XHSGROW_DATA
format = "auto"

[data.columns]
# event_time = "ts"                  # map contract columns to the names in your files
"""


class ValidationReport:
    """The outcome of validating several files: problems and campaigns by displayed path."""

    # a plain class rather than a dataclass: cheaper to import on `validate`'s start-up path
    def __init__(self) -> None:
        self.results: dict[str, list[Problem]] = {}
        self.campaigns: dict[str, Any] = {}

    @property
    def ok(self) -> bool:
        return not any(self.results.values())

    @property
    def problems(self) -> list[Problem]:
        return [p for probs in self.results.values() for p in probs]


def spec_files_in(folder: Path) -> list[Path]:
    """The spec files of a folder: its *.toml, sorted, but not hidden ones (``.#x.toml``).

    A hidden name is never a spec (an id starts with a letter or digit); editors make them
    beside the file being edited (Emacs's lock file ``.#gala-2027.toml`` is a dangling link),
    and they must not make `validate` or `list` fail while a spec is open."""
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named directly, plus every *.toml inside named folders (hidden ones excepted)."""
    files: list[Path] = []
    for p in paths:
        found = spec_files_in(p) if p.is_dir() else []
        if found:
            files.extend(found)
        elif p.is_dir() and p.name == "campaigns":
            continue
        else:
            files.append(p)
    return files


def display_path(path: Path) -> str:
    """The path as the user named it, relative to the current folder when inside it.

    Not resolved: a symlinked spec is reported under its own name, not its target's."""
    import os

    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _position(path: Path, key: tuple[str, ...]) -> tuple[int, int]:
    """Where ``key`` stands in a spec that has already parsed."""
    from xhsgrow.specs.locate import key_positions, locate

    text = path.read_text("utf-8").removeprefix("\ufeff")
    return locate(key_positions(text), key)


def validate_paths(paths: list[Path]) -> ValidationReport:
    """Validate every spec file under ``paths``; duplicate ids across files are errors too."""
    from xhsgrow.specs.loader import check_file

    report = ValidationReport()
    seen: dict[str, str] = {}
    for path in expand_paths(paths):
        shown = display_path(path)
        campaign, problems = check_file(path, display=shown)
        if campaign is not None:
            if campaign.id in seen and seen[campaign.id] != shown:
                line, col = _position(path, ("id",))
                problems = [
                    Problem(shown, line, col, "id", f"duplicate id, also in {seen[campaign.id]}")
                ]
                campaign = None
            else:
                seen[campaign.id] = shown
                report.campaigns[shown] = campaign
        report.results[shown] = problems
    return report


def check_campaigns_dir(ws: Workspace) -> None:
    """campaigns/ may be missing (a workspace with no campaigns yet), but a file or a dangling
    link in its place is an error: it would read as "no campaigns" and hide the mistake."""
    folder = ws.campaigns_dir
    if folder.is_dir() or not (folder.exists() or folder.is_symlink()):
        return
    if not folder.exists():
        what = "a dangling link"
    elif folder.is_file():
        what = "a file"
    else:
        what = "a special file"  # a FIFO, a socket, a device
    raise UsageError(
        f"{display_path(folder)} is {what}, not the folder of campaign specs",
        hint="move it away; `xhsgrow new KIND ID` then creates the folder",
    )


def load_campaigns(ws: Workspace, ids: list[str] | None = None) -> list[Any]:
    """The workspace's campaigns (all, or the given ids in order); any invalid spec is an error."""
    check_campaigns_dir(ws)
    if ids:
        missing = [i for i in ids if not is_campaign_id(i) or not ws.spec_path(i).is_file()]
        if missing:
            known = ", ".join(p.stem for p in ws.spec_files()) or "none"
            raise UsageError(f"no campaign '{missing[0]}' in {ws.campaigns_dir} (known: {known})")
        files = [ws.spec_path(i) for i in ids]
    else:
        files = ws.spec_files()
    report = validate_paths(files)
    if not report.ok:
        error = SpecError(report.problems)
        if len(report.problems) > 1:  # the error line shows the first one only
            error.hint = "run `xhsgrow validate` to see every problem"
        raise error
    return list(report.campaigns.values())
