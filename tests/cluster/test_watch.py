"""Waiting for a station's messages from a node that does not hold it: the trigger route's
``wait``, and the Pending station's permission to send what it was asked for."""

from __future__ import annotations

from csms_core.testing import ChargePoint, eventually, ocpp_url

STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


async def test_trigger_and_wait_through_another_node(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    await n1.stations.create("CP1")
    api1, api2 = api_for(n1), api_for(n2)
    pending = await api1.put("/stations/CP1/registration", json={"status": "Pending"})
    assert pending.status_code == 200, pending.text
    cp = await ChargePoint(ocpp_url(n1), "CP1").connect()
    try:
        assert (await cp.boot())["status"] == "Pending"

        def accept_and_send(call):
            # Pending, yet allowed: node n2 asked for it (OCPP 1.6 4.2).
            cp.after_reply(lambda: cp.call("StatusNotification", STATUS))
            return {"status": "Accepted"}

        cp.answer("TriggerMessage", accept_and_send)
        answer = await api2.post(
            "/stations/CP1/trigger",
            json={"requestedMessage": "StatusNotification", "connectorId": 1, "wait": 10},
        )
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["status"] == "Accepted" and result["timedOut"] is False
        assert result["triggeredMessage"]["action"] == "StatusNotification"
        assert result["triggeredMessage"]["payload"] == STATUS

        # The holder stops relaying once the watcher is done.
        await eventually(lambda: not n1.watchers and not n2.watchers)

        # Without a trigger, the Pending station is still refused.
        cp.answer("TriggerMessage", {"status": "Accepted"})
        refused = await cp.send_frame([2, "x1", "Heartbeat", {}])
        assert refused[0] == 4 and refused[2] == "SecurityError"
    finally:
        await cp.close()


async def test_wait_times_out_across_nodes(make_node, api_for, connect_to):
    n1, n2 = await make_node("n1"), await make_node("n2")
    cp = await connect_to(n1, "CP1")
    assert (await cp.boot())["status"] == "Accepted"
    cp.answer("TriggerMessage", {"status": "Accepted"})  # ...and never sends it
    answer = await api_for(n2).post(
        "/stations/CP1/trigger", json={"requestedMessage": "Heartbeat", "wait": 0.5}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["timedOut"] is True
    # Messages after the watch ended reach no one on n2, and nothing piles up on n1.
    await cp.call("Heartbeat")
    assert not n2.watchers
    await eventually(lambda: not n1.watchers)
