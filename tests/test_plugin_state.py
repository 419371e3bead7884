"""``app.plugin_state``: one runtime state per plugin, made on first use, also before start."""

from __future__ import annotations

from csms_core import Csms
from csms_core.plugins import Plugins
from csms_core.settings import Settings


def test_state_is_made_once_on_first_use_keyed_by_plugin(tmp_path):
    app = Csms(Settings(data_dir=tmp_path), Plugins(load_entry_points=False))  # not started
    made = []

    def factory() -> dict:
        made.append(1)
        return {"jobs": []}

    state = app.plugin_state("demo", factory)
    state["jobs"].append("sync")
    assert app.plugin_state("demo", factory) is state and len(made) == 1
    assert app.plugin_state("other", dict) == {} and app.state["demo"] is state
