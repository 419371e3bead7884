"""The benchmark harness itself works: a tiny steady run against a real `csms serve`.
No timing is asserted here; figures belong in benchmarks/results."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_steady_mix_smoke(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import run
    finally:
        sys.path.remove(str(ROOT))
    output = tmp_path / "result.json"
    run.main(
        ["steady", "--stations", "5", "--duration", "1", "--warmup", "0", "--output", str(output)]
    )
    document = json.loads(output.read_text())
    assert document["machine"]["cpus"]
    (result,) = document["results"]
    assert result["scenario"] == "steady"
    assert result["connected"] == result["booted"] == 5, result
    assert result["messages"] > 0 and result["messages_per_second"] > 0, result
    assert set(result["latency"]) == {"p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"}
    assert result["rss_started_bytes"] > 0 and result["rss_after_bytes"] > 0
    assert result["errors"] == {}, result
    assert result["server_log_errors"] == 0, result
