"""The ``[plugins.reservation]`` settings change what is checked and sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csms_core.errors import ConfigError


@pytest.mark.csms(
    plugin_settings={"reservation": {"require_valid_id_tag": False, "fill_parent_id_tag": False}}
)
async def test_unknown_tags_and_no_parent_when_configured(connect, api):
    sent: list[dict] = []
    cp = await connect("CP1")
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


async def test_bad_setting_fails_at_start_up(make_csms):
    with pytest.raises(ConfigError, match=r"plugins\.reservation\.expiry_scan_seconds"):
        await make_csms(plugin_settings={"reservation": {"expiry_scan_seconds": 0}})
