"""A TxProfile sent with RemoteStartTransaction through one node belongs to the transaction
it starts, though that transaction starts on the node holding the station."""

from __future__ import annotations

from datetime import UTC, datetime

from csms_core.testing import ChargePoint, eventually, ocpp_url

PROFILE = {
    "chargingProfileId": 7,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 12}],
    },
}


async def test_remote_start_profile_through_another_node(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    api1, api2 = api_for(n1), api_for(n2)
    await n1.stations.create("CP1")
    assert (await api1.post("/id-tags", json={"idTag": "TAG1"})).status_code == 201
    cp = await ChargePoint(ocpp_url(n1), "CP1").connect()
    try:
        assert (await cp.boot())["status"] == "Accepted"
        cp.answer("RemoteStartTransaction", {"status": "Accepted"})
        payload = {"connectorId": 1, "idTag": "TAG1", "chargingProfile": PROFILE}
        sent = await api2.post("/stations/CP1/calls/RemoteStartTransaction", json=payload)
        assert sent.status_code == 200 and sent.json() == {"status": "Accepted"}, sent.text
        started = await cp.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "tag1",  # idTags compare case-insensitively
                "meterStart": 0,
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )

        async def installed() -> list:
            items = (await api2.get("/stations/CP1/charging-profiles")).json()["items"]
            return [(i["connectorId"], i["chargingProfileId"], i["transactionId"]) for i in items]

        assert await eventually(installed) == [(1, 7, started["transactionId"])]
    finally:
        await cp.close()
