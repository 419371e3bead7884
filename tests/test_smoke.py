async def test_boot_and_heartbeat(booted, test_plugin):
    assert "currentTime" in await booted.call("Heartbeat")
    assert ("booted", ("CP1", "Accepted")) in test_plugin.events
