"""csms_core.redact: what it masks, and that it leaves everything else alone."""

from __future__ import annotations

import json

import pytest

from csms_core.redact import (
    mask_url_credentials,
    mask_url_passwords,
    redact,
    redact_frame,
    url_without_password,
)


@pytest.mark.parametrize(
    ("url", "stored", "logged"),
    [
        ("ftp://u:pw@h:21/d/", "ftp://u@h:21/d/", "ftp://u:***@h:21/d/"),
        ("ftp://u:p@ss@h/d", "ftp://u@h/d", "ftp://u:***@h/d"),  # a raw "@" in the password
        ("ftp://:pw@h/", "ftp://h/", "ftp://:***@h/"),
        ("ftp://u@h/", "ftp://u@h/", "ftp://u@h/"),  # no password: nothing to hide
        ("https://h/files/diagnostics/abc/", "https://h/files/diagnostics/abc/", None),
    ],
)
def test_url_passwords(url: str, stored: str, logged: str | None) -> None:
    assert url_without_password(url) == stored
    assert mask_url_passwords(url) == (logged or url)


def test_broker_urls_lose_user_and_password() -> None:
    urls = "nats://tok@n1:4222, tls://u:p@n2:4222,nats://n3:4222"
    assert mask_url_credentials(urls) == "nats://***@n1:4222, tls://***@n2:4222,nats://n3:4222"


def test_secret_configuration_values_in_any_case() -> None:
    answer = {
        "configurationKey": [
            {"key": "authorizationKEY", "readonly": False, "value": "s3cret-s3cret-s3cret"},
            {"key": "AuthorizationKey", "readonly": False, "value": ""},  # unset: says so
            {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
        ]
    }
    assert redact(answer)["configurationKey"] == [
        {"key": "authorizationKEY", "readonly": False, "value": "***"},
        {"key": "AuthorizationKey", "readonly": False, "value": ""},
        {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
    ]
    assert answer["configurationKey"][0]["value"] == "s3cret-s3cret-s3cret"  # a copy
    untouched = {"status": "Accepted", "data": [1, {"a": "b"}]}
    assert redact(untouched) is untouched


def test_frames() -> None:
    call = [2, "1", "ChangeConfiguration", {"key": "AUTHORIZATIONKEY", "value": "k" * 20}]
    assert json.loads(redact_frame(json.dumps(call)))[3]["value"] == "***"
    # A key written with JSON escapes is found all the same.
    escaped = '[2,"1","ChangeConfiguration",{"key":"\\u0041uthorizationKey","value":"kkkk"}]'
    assert "kkkk" not in redact_frame(escaped)
    diagnostics = json.dumps([2, "2", "GetDiagnostics", {"location": "ftp://u:pw@h/"}])
    assert "ftp://u:***@h/" in redact_frame(diagnostics.encode())
    plain = '[2,"3","Heartbeat",{}]'
    assert redact_frame(plain) is plain
    assert redact_frame("not json ftp://u:pw@h/") == "not json ftp://u:***@h/"
