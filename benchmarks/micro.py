"""In-process micro-benchmarks of the per-message steps that need no socket: frame parsing,
request validation, answer validation and encoding, for the frames the load generator sends.

    python -m benchmarks.micro [--label X]

Microseconds per call (best of 5 repeats, so other load on the machine matters less than in
the socket scenarios); writes ``results/<time>[-label]-micro.json``.
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from csms_core import rpc

from .loadgen import HEAD, TAILS
from .run import RESULTS, machine


def best_us(fn: Callable[[], Any], number: int = 5000, repeat: int = 5) -> float:
    return round(min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6, 2)


def measure() -> dict[str, float]:
    schemas = rpc.SchemaSet.ocpp16()
    figures: dict[str, float] = {}
    for kind, tail in TAILS.items():
        raw = HEAD + "12345" + tail
        frame = rpc.parse_frame(raw)
        assert isinstance(frame, rpc.Call)
        action, payload = frame.action, frame.payload
        figures[f"parse {kind}"] = best_us(lambda raw=raw: rpc.parse_frame(raw))
        figures[f"validate_request {kind}"] = best_us(
            lambda action=action, payload=payload: schemas.validate_request(action, payload)
        )
    answer = {"currentTime": rpc.utc_now_iso()}
    figures["validate_response Heartbeat"] = best_us(
        lambda: schemas.validate_response("Heartbeat", answer)
    )
    figures["encode_result Heartbeat"] = best_us(lambda: rpc.encode_result("12345", answer))
    figures["encode_result {}"] = best_us(lambda: rpc.encode_result("12345", {}))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.micro", description=__doc__)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    started = datetime.now(UTC)
    figures = measure()
    for name, us in figures.items():
        print(f"{us:8.2f} us  {name}")
    label = f"-{args.label}" if args.label else ""
    output = RESULTS / f"{started.strftime('%Y%m%d-%H%M%S')}{label}-micro.json"
    document = {
        "started": started.isoformat(),
        "label": args.label,
        "machine": machine(),
        "microseconds": figures,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
