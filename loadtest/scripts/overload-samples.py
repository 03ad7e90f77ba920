#!/usr/bin/env python3
"""Per-second table of what overload-sampler.sh recorded: where the admitted Decides waited.

Usage: overload-samples.py SAMPLES_FILE
Columns, per interval (deltas over it unless a gauge): OK Decides answered, refusals by reason (OVL = OVERLOADED,
SQF = SHARD_QUEUE_FULL, DLQ = DEADLINE_EXPIRED_IN_QUEUE), slots in use (admission_in_flight) and the admission
limit (admission_limit: maxInFlightDecisions, or where admissionLimit ADAPTIVE stands; blank before it), the shard
queues' depth, log bytes waiting for their sync, the loops' read pauses and the share of the interval the loops'
reads were stopped (summed over loops), syncs and their mean time, and per thread group the CPU share and the
run-queue wait share (schedstat: time runnable but not running): the log writer, the event loops, every thread of
the server.
"""
import re
import sys

LINE = re.compile(r'^M (\w+)(\{[^}]*\})? (\S+)')


def parse(path):
    samples, cur = [], None
    for line in open(path, errors="replace"):
        if line.startswith("T "):
            cur = {"t": int(line.split()[1]) / 1e9, "m": {}, "s": {}}
            samples.append(cur)
        elif cur is None:
            continue
        elif line.startswith("M "):
            m = LINE.match(line)
            if m:
                key = m.group(1) + (m.group(2) or "")
                cur["m"][key] = cur["m"].get(key, 0.0) + float(m.group(3))
        elif line.startswith("S "):
            p = line.split()
            if len(p) == 6:
                cur["s"][p[1]] = (p[2], int(p[3]), int(p[4]))
    return [s for s in samples if s["m"]]


def total(sample, name, label=None):
    return sum(v for k, v in sample["m"].items() if k.split("{")[0] == name and (label is None or label in k))


def group(comm):
    if comm.startswith("formica-log-wri"):
        return "writer"
    if comm.startswith("epollEventLoop") or comm.startswith("nioEventLoop"):
        return "loops"
    return "other"


def sched(a, b, dt):
    out = {}
    for tid, (comm, cpu, wait) in b["s"].items():
        if tid in a["s"]:
            g = group(comm)
            c, w = out.get(g, (0, 0))
            out[g] = (c + cpu - a["s"][tid][1], w + wait - a["s"][tid][2])
    alls = (sum(c for c, _ in out.values()), sum(w for _, w in out.values()))
    out["all"] = alls
    return {g: (c / dt / 1e7, w / dt / 1e7) for g, (c, w) in out.items()}  # percent of one CPU


def main():
    s = parse(sys.argv[1])
    print("%6s %6s %6s %5s %4s %5s %5s %5s %6s %5s %6s %6s %7s %11s %11s %11s" % (
        "t(s)", "OK/s", "OVL/s", "SQF/s", "DLQ", "slots", "limit", "queue", "unsync", "pause", "paused", "syncs",
        "sync_ms", "writer%/w%", "loops%/w%", "all%/w%"))
    t0 = s[0]["t"] if s else 0
    for a, b in zip(s, s[1:]):
        dt = b["t"] - a["t"]
        if dt <= 0:
            continue

        def d(name, label=None):
            return total(b, name, label) - total(a, name, label)
        ok = d("formica_rpc_total", 'code="OK"')
        syncs = d("formica_log_sync_duration_seconds_count")
        sync_ms = d("formica_log_sync_duration_seconds_sum") / syncs * 1e3 if syncs > 0 else 0.0
        sc = sched(a, b, dt)
        fmt = lambda g: "%5.0f/%-5.0f" % sc.get(g, (0, 0))
        limit = b["m"].get("formica_admission_limit")
        print("%6.1f %6.0f %6.0f %5.0f %4.0f %5.0f %5s %5.0f %6.0f %5.0f %5.0f%% %6.0f %7.2f %11s %11s %11s" % (
            b["t"] - t0, ok / dt, d("formica_shed_total", "OVERLOADED") / dt,
            d("formica_shed_total", "SHARD_QUEUE_FULL") / dt, d("formica_shed_total", "DEADLINE_EXPIRED"),
            total(b, "formica_admission_in_flight"), "" if limit is None else "%.0f" % limit,
            total(b, "formica_shard_queue_depth"),
            total(b, "formica_log_unsynced_bytes"), d("formica_loop_read_pauses_total"),
            100 * d("formica_loop_reads_paused_seconds_total") / dt, syncs / dt, sync_ms,
            fmt("writer"), fmt("loops"), fmt("all")))


if __name__ == "__main__":
    main()
