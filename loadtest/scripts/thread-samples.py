#!/usr/bin/env python3
"""Per-second CPU and run-queue wait of one process's threads, by thread group, from the "S" lines that
overload-sampler.sh records (/proc/PID/task/TID/schedstat once a second).

Usage: thread-samples.py SAMPLES_FILE
A thread's group is its name with the numbers after - or # as N (the kernel keeps 15 characters). Each cell is
"CPU/wait" in percent of one CPU over the interval: the time the group's threads ran, and the time they were
runnable but waited for a CPU (a thread that waits for a CPU is late for its work however little that work costs).
The groups are the ones that ran most over the whole file, the rest summed as "other"; "all" is every thread.
"""
import re
import sys


def group(comm):
    return re.sub(r'([-#])[0-9]+', r'\1N', comm)


def parse(path):
    samples, cur = [], None
    for line in open(path, errors="replace"):
        if line.startswith("T "):
            cur = {"t": int(line.split()[1]) / 1e9, "s": {}}
            samples.append(cur)
        elif cur is not None and line.startswith("S "):
            p = line.split()
            if len(p) == 6:
                cur["s"][p[1]] = (group(p[2]), int(p[3]), int(p[4]))
    return [s for s in samples if s["s"]]


def deltas(a, b):
    out = {}
    for tid, (g, cpu, wait) in b["s"].items():
        c0, w0 = (a["s"][tid][1], a["s"][tid][2]) if tid in a["s"] else (0, 0)
        c, w = out.get(g, (0, 0))
        out[g] = (c + cpu - c0, w + wait - w0)
    return out


def main():
    s = parse(sys.argv[1])
    if len(s) < 2:
        print("fewer than two samples")
        return
    totals = {}
    rows = []
    for a, b in zip(s, s[1:]):
        dt = b["t"] - a["t"]
        if dt <= 0:
            continue
        d = deltas(a, b)
        for g, (c, _) in d.items():
            totals[g] = totals.get(g, 0) + c
        rows.append((b["t"] - s[0]["t"], dt, d))
    top = sorted(totals, key=totals.get, reverse=True)[:7]
    print("%6s " % "t(s)" + " ".join("%15s" % g[:15] for g in top + ["other", "all"]))
    for t, dt, d in rows:
        cells = []
        for g in top:
            c, w = d.get(g, (0, 0))
            cells.append("%7.0f/%-7.0f" % (c / dt / 1e7, w / dt / 1e7))
        oc = sum(c for g, (c, _) in d.items() if g not in top)
        ow = sum(w for g, (_, w) in d.items() if g not in top)
        ac = sum(c for c, _ in d.values())
        aw = sum(w for _, w in d.values())
        cells.append("%7.0f/%-7.0f" % (oc / dt / 1e7, ow / dt / 1e7))
        cells.append("%7.0f/%-7.0f" % (ac / dt / 1e7, aw / dt / 1e7))
        print("%6.1f " % t + " ".join(cells))


if __name__ == "__main__":
    main()
