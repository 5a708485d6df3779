#!/usr/bin/env python3
"""Why cores sat idle: splits the idle time of a `perf sched` recording.

    perf sched record -a -o sched.data -- sleep 0.5      # mid-cell, while a workload runs
    perf sched timehist -i sched.data > timehist.txt
    benches/idle-split.py timehist.txt

For every stretch a CPU ran its idle task, it asks what the other CPUs were doing:
- *misplaced*: some thread was runnable but queued on another, busy CPU (woken there and not yet
  moved: the scheduler's wake-up placement, not the program, kept this CPU idle);
- otherwise the idle time is split by what ran on the other CPUs (a thread of the server, of the
  generator, ...): the work that everything else was waiting for.

The per-thread "sch delay" column of `timehist` is the time from wake-up to running; a thread's
runnable interval is [start - sch delay, start]. Times are in milliseconds. Reads only the text
output of `perf sched timehist` (without -w), so it needs nothing but Python 3.
"""

import collections
import re
import sys


def parse(path):
    """(start, end, cpu, thread, sch_delay) for every run in the recording, in ms."""
    runs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or not re.fullmatch(r"\[\d+\]", fields[1]):
                continue
            try:
                end = float(fields[0]) * 1000.0
                sch_delay = float(fields[-2])
                run = float(fields[-1])
            except ValueError:
                continue
            thread = " ".join(fields[2:-3])
            runs.append((end - run, end, fields[1], thread, sch_delay))
    return runs


def label(thread):
    """The thread's name with its process id, without its own id: `tokio-rt-worker/1867`."""
    m = re.match(r"(.*?)\[(\d+)(?:/(\d+))?\]$", thread)
    if not m:
        return thread
    name, tid, pid = m.groups()
    return f"{name}/{pid or tid}"


def overlap(intervals, start, end):
    """Length of the union of `intervals` (sorted by start) within [start, end]."""
    covered, cursor = 0.0, start
    for a, b in intervals:
        a, b = max(a, start, cursor), min(b, end)
        if b > a:
            covered += b - a
            cursor = b
    return covered


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = parse(sys.argv[1])
    if not runs:
        sys.exit("no runs found: pass the output of `perf sched timehist` (without -w)")
    cpus = sorted({cpu for _, _, cpu, _, _ in runs})
    span = max(end for _, end, _, _, _ in runs) - min(start for start, _, _, _, _ in runs)
    idle = [(s, e, c) for s, e, c, t, _ in runs if t.startswith("<idle>")]
    busy = [(s, e, c, t) for s, e, c, t, _ in runs if not t.startswith("<idle>")]
    ready = sorted(
        (s - d, s, c, t) for s, e, c, t, d in runs if not t.startswith("<idle>") and d > 0
    )

    total_idle = sum(e - s for s, e, _ in idle)
    misplaced = 0.0
    waiting = collections.Counter()
    other_ran = collections.Counter()
    for s, e, cpu in idle:
        elsewhere = [(a, b, t) for a, b, c, t in ready if c != cpu and b > s and a < e]
        misplaced += overlap([(a, b) for a, b, _ in elsewhere], s, e)
        for a, b, t in elsewhere:
            waiting[label(t)] += min(b, e) - max(a, s)
        for a, b, c, t in busy:
            if c != cpu and b > s and a < e:
                other_ran[label(t)] += min(b, e) - max(a, s)

    capacity = span * len(cpus)
    print(f"{len(cpus)} CPUs over {span:.0f} ms: idle {total_idle:.1f} ms "
          f"({100 * total_idle / capacity:.1f} % of all CPU time)")
    print(f"  misplaced (a thread was runnable on another, busy CPU): {misplaced:.1f} ms "
          f"({100 * misplaced / capacity:.1f} %)")
    for name, ms in waiting.most_common(6):
        print(f"    waiting: {name:40s} {ms:7.1f} ms")
    print("  what the other CPUs ran meanwhile:")
    for name, ms in other_ran.most_common(8):
        print(f"    {name:40s} {ms:7.1f} ms")


if __name__ == "__main__":
    main()
