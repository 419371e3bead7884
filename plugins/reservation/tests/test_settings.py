"""The ``[plugins.reservation]`` settings change what is checked and sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csms_core.errors import ConfigError


async def test_unknown_tags_and_no_parent_when_configured(
    make_csms, monkeypatch, connect_to, api_for
):
    # make_csms's own ``plugins`` argument hides the settings field: use the environment.
    monkeypatch.setenv("CSMS_PLUGINS__RESERVATION__REQUIRE_VALID_ID_TAG", "false")
    monkeypatch.setenv("CSMS_PLUGINS__RESERVATION__FILL_PARENT_ID_TAG", "false")
    app = await make_csms()
    await app.stations.create("CP1")
    sent: list[dict] = []
    api = api_for(app)
    cp = await connect_to(app, "CP1")
    await cp.boot()
    cp.answer("ReserveNow", lambda call: sent.append(call.payload) or {"status": "Accepted"})
    await api.post("/id-tags", json={"idTag": "CHILD", "parentIdTag": "GROUP"})
    expiry = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    for connector_id, id_tag in [(1, "NOBODY"), (2, "CHILD")]:
        response = await api.post(
            "/reservations",
            json={
                "stationId": "CP1",
                "connectorId": connector_id,
                "idTag": id_tag,
                "expiryDate": expiry,
            },
        )
        assert response.status_code == 201 and response.json()["status"] == "Accepted"
    assert [p["idTag"] for p in sent] == ["NOBODY", "CHILD"]
    assert all("parentIdTag" not in p for p in sent)


async def test_bad_setting_fails_at_start_up(make_csms, monkeypatch):
    monkeypatch.setenv("CSMS_PLUGINS__RESERVATION__EXPIRY_SCAN_SECONDS", "0")
    with pytest.raises(ConfigError, match=r"plugins\.reservation\.expiry_scan_seconds"):
        await make_csms()
