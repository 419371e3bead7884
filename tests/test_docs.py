"""Documentation that cannot rot: every hook and every setting is described."""

from __future__ import annotations

from pathlib import Path

import pytest

from csms_core import hookspecs
from csms_core.settings import Settings

DOCS = Path(__file__).parent.parent / "docs"
HOOKS = [name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "csms_spec")]


def test_hooks_found():
    assert "register_handlers" in HOOKS and "call_completed" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    assert f"`{hook}(" in (DOCS / "writing-plugins.md").read_text()
    assert getattr(hookspecs, hook).__doc__, f"{hook} has no docstring"


@pytest.mark.parametrize("setting", list(Settings.model_fields))
def test_every_setting_is_documented(setting):
    assert f"| `{setting}` |" in (DOCS / "configuration.md").read_text()
