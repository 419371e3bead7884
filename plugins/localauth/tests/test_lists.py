"""The pure list logic: what a station should hold, differences, and message planning."""

from __future__ import annotations

from datetime import UTC, datetime

from csms_plugin_localauth.lists import (
    apply_update,
    config_int,
    desired_entries,
    differences,
    plan_messages,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TAGS = [
    {"idTag": "A", "idTagInfo": {"status": "Accepted", "expiryDate": None, "parentIdTag": None}},
    {"idTag": "B", "idTagInfo": {"status": "Blocked"}},
    {"idTag": "C", "idTagInfo": {"status": "Accepted", "expiryDate": "2026-01-01T00:00:00Z"}},
    {"idTag": "D", "idTagInfo": {"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z"}},
    {"idTag": "E", "idTagInfo": {"status": "Accepted", "parentIdTag": "P"}},
]


def test_default_list_holds_valid_tags_only() -> None:
    assert desired_entries(TAGS, now=NOW) == {
        "A": {"status": "Accepted"},
        "D": {"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z"},
        "E": {"status": "Accepted", "parentIdTag": "P"},
    }


def test_members_and_include_invalid() -> None:
    assert set(desired_entries(TAGS, members={"A", "B", "X"}, now=NOW)) == {"A"}
    assert desired_entries(TAGS, members={"A", "B"}, include_invalid=True, now=NOW) == {
        "A": {"status": "Accepted"},
        "B": {"status": "Blocked"},
    }


def test_differences_delete_first_then_changes() -> None:
    current = {"A": {"status": "Accepted"}, "B": {"status": "Accepted"}, "Z": {"status": "X"}}
    desired = {"A": {"status": "Accepted"}, "B": {"status": "Blocked"}, "C": {"status": "Accepted"}}
    assert differences(current, desired) == [
        {"idTag": "Z"},
        {"idTag": "B", "idTagInfo": {"status": "Blocked"}},
        {"idTag": "C", "idTagInfo": {"status": "Accepted"}},
    ]
    assert differences(desired, desired) == []
    assert apply_update(current, "Differential", differences(current, desired)) == desired


def test_full_split_into_full_then_differentials() -> None:
    desired = {t: {"status": "Accepted"} for t in "ABCDE"}
    messages = plan_messages("Full", {}, desired, 4, 2)
    assert [(m["updateType"], m["listVersion"]) for m in messages] == [
        ("Full", 4),
        ("Differential", 5),
        ("Differential", 6),
    ]
    assert [len(m["localAuthorizationList"]) for m in messages] == [2, 2, 1]
    state: dict = {}
    for m in messages:
        state = apply_update(state, m["updateType"], m["localAuthorizationList"])
    assert state == desired


def test_empty_full_clears_and_empty_differential_sends_nothing() -> None:
    assert plan_messages("Full", {"A": {"status": "Accepted"}}, {}, 1, 10) == [
        {"listVersion": 1, "updateType": "Full", "localAuthorizationList": []}
    ]
    assert plan_messages("Differential", {}, {}, 1, None) == []


def test_config_int() -> None:
    assert config_int({"SendLocalListMaxLength": " 20 "}, "SendLocalListMaxLength") == 20
    assert config_int({"SendLocalListMaxLength": "many"}, "SendLocalListMaxLength") is None
    assert config_int(None, "SendLocalListMaxLength") is None
