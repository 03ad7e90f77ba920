#!/usr/bin/env python3
"""What the kernel writes back while a server runs (Linux /proc only; read-only).

Usage: writeback.py PID SECONDS

Every 50 ms: the CPU time of each kernel thread (by thread id, so a kworker changing its name is one
thread) and /proc/vmstat's nr_dirty and nr_written. Prints each 50 ms window in which kernel threads
used 20 ms of CPU or more, then the pages written back per second, then the dirty megabytes of each
file PID has mapped (Shared_Dirty + Private_Dirty in /proc/PID/smaps), largest first.
"""
import collections
import os
import re
import sys
import time

TICK_MS = 1000 / os.sysconf('SC_CLK_TCK')


def kernel_threads():
    cpu = {}
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open(f'/proc/{p}/stat') as f:
                s = f.read()
        except OSError:
            continue
        fields = s.rsplit(')', 1)[1].split()
        if fields[1] != '2':  # parent kthreadd: a kernel thread
            continue
        name = s[s.index('(') + 1:s.rindex(')')]
        cpu[p] = (name, int(fields[11]) + int(fields[12]))
    return cpu


def vmstat():
    out = {}
    with open('/proc/vmstat') as f:
        for line in f:
            k, v = line.split()
            if k in ('nr_dirty', 'nr_written'):
                out[k] = int(v)
    return out


def dirty_by_file(pid):
    kb = collections.Counter()
    name = None
    with open(f'/proc/{pid}/smaps') as f:
        for line in f:
            if re.match(r'^[0-9a-f]+-[0-9a-f]+ ', line):
                parts = line.split()
                # files only: not the JVM's heap (ZGC maps it from a memfd) nor anonymous memory
                path = parts[5] if len(parts) > 5 else ''
                name = path if path.startswith('/') and not path.startswith('/memfd:') else None
            elif name and line.startswith(('Shared_Dirty:', 'Private_Dirty:')):
                kb[name] += int(line.split()[1])
    return kb


def main():
    pid, seconds = sys.argv[1], float(sys.argv[2])
    start = time.time()
    before, first = kernel_threads(), vmstat()
    while time.time() - start < seconds:
        time.sleep(0.05)
        now, vm = kernel_threads(), vmstat()
        used = {now[t][0]: (now[t][1] - before[t][1]) * TICK_MS
                for t in now if t in before and now[t][1] > before[t][1]}
        if sum(used.values()) >= 20:
            print(f"{time.time() - start:6.2f} s  kernel threads {sum(used.values()):4.0f} ms of CPU in 50 ms: "
                  + ", ".join(f"{n} {ms:.0f}" for n, ms in sorted(used.items(), key=lambda x: -x[1]))
                  + f"  (nr_dirty {vm['nr_dirty']})")
        before = now
    last = vmstat()
    print(f"written back: {(last['nr_written'] - first['nr_written']) / (time.time() - start):.0f} pages/s;"
          f" dirty now {last['nr_dirty'] * 4 // 1024} MB")
    for path, kb in dirty_by_file(pid).most_common(8):
        print(f"  {kb // 1024:6d} MB dirty  {path}")


if __name__ == '__main__':
    main()
