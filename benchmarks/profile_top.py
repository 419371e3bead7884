"""Summarise a py-spy raw (collapsed) profile: own time and total time per function.

python -m benchmarks.profile_top profile.txt [--limit 30] [--filter csms]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--filter", default="", help="only frames containing this in total view")
    parser.add_argument("--stack", default="", help="only samples whose stack contains this")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        samples += count
        if args.stack not in stack:
            samples -= count
            continue
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    print(f"{samples} samples\n-- own time --")
    for frame, count in own.most_common(args.limit):
        print(f"{100 * count / samples:5.1f}%  {frame}")
    print("-- total time --")
    shown = 0
    for frame, count in total.most_common():
        if args.filter in frame:
            print(f"{100 * count / samples:5.1f}%  {frame}")
            shown += 1
            if shown >= args.limit:
                break


if __name__ == "__main__":
    main()
