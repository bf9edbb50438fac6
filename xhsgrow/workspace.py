"""The workspace: a folder with campaigns/, optional templates/ and xhsgrow.toml settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xhsgrow.errors import SpecError, WorkspaceError

SETTINGS_FILE = "xhsgrow.toml"
ENV_WORKSPACE = "XHSGROW_WORKSPACE"


def find_root(start: Path | None = None, explicit: str | Path | None = None) -> Path:
    """The workspace folder: ``explicit`` (or $XHSGROW_WORKSPACE), else the nearest folder from
    ``start`` upwards holding xhsgrow.toml or campaigns/, else ``start`` itself."""
    chosen = explicit or os.environ.get(ENV_WORKSPACE)
    if chosen:
        root = Path(chosen).expanduser()
        if not root.is_dir():
            raise WorkspaceError(f"workspace {root} is not a folder")
        return root.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file() or (folder / "campaigns").is_dir():
            return folder
    return here


@dataclass(frozen=True)
class Workspace:
    root: Path
    settings: Any  # xhsgrow.settings.Settings; typed loosely to keep pydantic off start-up

    @property
    def campaigns_dir(self) -> Path:
        return self.root / "campaigns"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def spec_path(self, campaign_id: str) -> Path:
        return self.campaigns_dir / f"{campaign_id}.toml"

    def spec_files(self) -> list[Path]:
        """The spec files of campaigns/ (none when it is missing; hidden files are no specs)."""
        if not self.campaigns_dir.is_dir():
            return []
        from xhsgrow.specs.store import spec_files_in

        return spec_files_in(self.campaigns_dir)


def open_workspace(explicit: str | Path | None = None, start: Path | None = None) -> Workspace:
    """Find the workspace and load its settings (defaults when there is no xhsgrow.toml)."""
    root = find_root(start, explicit)
    return Workspace(root, load_settings(root / SETTINGS_FILE))


class SettingsError(WorkspaceError):
    """xhsgrow.toml is broken: every problem, one `path:line:col: key: message` line each."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_settings(path: Path) -> Any:
    """The settings in ``path`` (defaults when it does not exist); SettingsError when broken."""
    if not path.exists():
        from xhsgrow.settings import Settings

        return Settings()
    from xhsgrow.settings import load_settings_file
    from xhsgrow.specs.store import display_path

    try:
        return load_settings_file(path, display=display_path(path))
    except SpecError as exc:
        raise SettingsError(exc.problems) from None
