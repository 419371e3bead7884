"""Pure list logic (no I/O): which entries a station should hold, the difference from what it
holds, and how an update is cut into SendLocalList messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from csms_core.rpc import parse_timestamp

# idTag -> idTagInfo (status, expiryDate?, parentIdTag?)
Entries = dict[str, dict[str, Any]]

INFO_FIELDS = ("status", "expiryDate", "parentIdTag")


def normalize_info(info: Mapping[str, Any]) -> dict[str, Any]:
    """An idTagInfo as OCPP carries it: known fields only, no nulls, so equal means equal."""
    return {k: info[k] for k in INFO_FIELDS if info.get(k) is not None}


def is_valid(info: Mapping[str, Any], now: datetime | None = None) -> bool:
    if info.get("status") != "Accepted":
        return False
    expiry = info.get("expiryDate")
    if not expiry:
        return True
    try:
        when = parse_timestamp(str(expiry))
    except ValueError:
        return True  # the station judges a date it cannot be shown to be past
    return when > (now or datetime.now(UTC))


def desired_entries(
    tags: Iterable[Mapping[str, Any]],
    members: set[str] | None = None,
    include_invalid: bool = False,
    now: datetime | None = None,
) -> Entries:
    """What a station should hold: every valid tag (``members`` None) or the members of its
    authorization list; ``include_invalid`` keeps non-valid ones with their status."""
    result: Entries = {}
    for tag in tags:
        id_tag = tag["idTag"]
        if members is not None and id_tag not in members:
            continue
        info = normalize_info(tag.get("idTagInfo") or {})
        if not info.get("status") or info["status"] == "ConcurrentTx":
            continue  # ConcurrentTx is an answer, never a list status
        if include_invalid or is_valid(info, now):
            result[id_tag] = info
    return result


def differences(current: Entries, desired: Entries) -> list[dict[str, Any]]:
    """Differential entries turning ``current`` into ``desired``: removed tags without idTagInfo
    (which deletes them), then changed or new tags with it; each group sorted by idTag.

    Removals come first so that, cut into several messages, the list never grows past its
    final size on the way.
    """
    removed = [{"idTag": t} for t in sorted(set(current) - set(desired))]
    changed = [
        {"idTag": t, "idTagInfo": desired[t]}
        for t in sorted(desired)
        if current.get(t) != desired[t]
    ]
    return removed + changed


def full_entries(desired: Entries) -> list[dict[str, Any]]:
    return [{"idTag": t, "idTagInfo": desired[t]} for t in sorted(desired)]


def apply_update(current: Entries, update_type: str, entries: Iterable[Mapping]) -> Entries:
    """The list a station holds after accepting an update."""
    result: Entries = {} if update_type == "Full" else dict(current)
    for entry in entries:
        info = entry.get("idTagInfo")
        if info is None:
            result.pop(entry["idTag"], None)
        else:
            result[entry["idTag"]] = normalize_info(info)
    return result


def plan_messages(
    update_type: str,
    current: Entries,
    desired: Entries,
    first_version: int,
    max_per_message: int | None,
) -> list[dict[str, Any]]:
    """SendLocalList payloads, in order, with versions ``first_version``, +1, ...

    A Full update longer than ``max_per_message`` becomes a Full first chunk followed by
    Differential chunks (each adds tags); a Differential one becomes several Differentials.
    A Full update always sends one message (an empty list clears the station's); a
    Differential with nothing to change sends none.
    """
    assert first_version > 0, "listVersion -1 and 0 have a special meaning (errata 3.52)"
    entries = full_entries(desired) if update_type == "Full" else differences(current, desired)
    size = max_per_message or max(len(entries), 1)
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
    if update_type == "Full" and not chunks:
        chunks = [[]]
    messages = []
    for index, chunk in enumerate(chunks):
        kind = "Full" if update_type == "Full" and index == 0 else "Differential"
        messages.append(
            {
                "listVersion": first_version + index,
                "updateType": kind,
                "localAuthorizationList": chunk,
            }
        )
    return messages


def config_int(config: Mapping[str, Any] | None, key: str) -> int | None:
    """An integer configuration value as a station reported it (strings in OCPP), or None."""
    if not config or config.get(key) in (None, ""):
        return None
    try:
        return int(str(config[key]).strip())
    except ValueError:
        return None
