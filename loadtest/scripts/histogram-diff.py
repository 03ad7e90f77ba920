#!/usr/bin/env python3
"""The histograms recorded between two scrapes of a server's /metrics (Prometheus text format): for each series of
the names given (prefixes), its count, mean and percentiles, interpolated linearly inside the classic buckets (1,
2.5 and 5 per decade: a percentile is exact only to its bucket, the bounds are printed beside it).

Usage: histogram-diff.py START.txt END.txt [PREFIX ...]
  (default prefixes: formica_log_ and rpc_server_call_duration_seconds{...Decide...OK})
"""
import re
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([^\s]+)')
LABEL = re.compile(r'(\w+)="([^"]*)"')


def parse(path):
    series = {}
    with open(path) as f:
        for line in f:
            if line.startswith('#'):
                continue
            m = LINE.match(line)
            if not m:
                continue
            name, labels, value = m.group(1), m.group(2) or '', float(m.group(3))
            pairs = dict(LABEL.findall(labels))
            for suffix in ('_bucket', '_count', '_sum'):
                if name.endswith(suffix):
                    base = name[:-len(suffix)]
                    le = pairs.pop('le', None)
                    key = base + '{' + ','.join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + '}'
                    s = series.setdefault(key, {'buckets': {}, 'count': 0.0, 'sum': 0.0})
                    if suffix == '_bucket':
                        s['buckets'][float(le)] = value
                    else:
                        s[suffix[1:]] = value
    return series


def quantile(buckets, q):
    """buckets: sorted (upper bound, cumulative count) of the difference."""
    total = buckets[-1][1]
    if total <= 0:
        return None, None, None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, cum in buckets:
        if cum >= rank:
            if bound == float('inf'):
                return lower, lower, bound
            inside = cum - below
            frac = (rank - below) / inside if inside > 0 else 1.0
            return lower + (bound - lower) * frac, lower, bound
        lower, below = bound, cum
    return None, None, None


def ms(x):
    return '%.3f' % (x * 1000) if x is not None and x != float('inf') else 'inf'


def main():
    start, end = parse(sys.argv[1]), parse(sys.argv[2])
    prefixes = sys.argv[3:] or ['formica_log_', 'rpc_server_call_duration_seconds']
    print('%-100s %9s %9s %9s %9s %9s %9s  (ms; p99 bucket)' % ('series', 'count', 'mean', 'p50', 'p90', 'p99',
                                                              'p99.9'))
    for key in sorted(end):
        if not any(key.startswith(p) for p in prefixes):
            continue
        if key.startswith('rpc_server') and ('Decide' not in key or 'OK' not in key):
            continue
        e = end[key]
        s = start.get(key, {'buckets': {}, 'count': 0.0, 'sum': 0.0})
        count = e['count'] - s['count']
        if count <= 0:
            continue
        diff = sorted((b, c - s['buckets'].get(b, 0.0)) for b, c in e['buckets'].items())
        mean = (e['sum'] - s['sum']) / count
        qs = [quantile(diff, q) for q in (0.5, 0.9, 0.99, 0.999)]
        p99 = qs[2]
        print('%-100s %9d %9s %9s %9s %9s %9s  (%s-%s]' % (key, count, ms(mean), ms(qs[0][0]), ms(qs[1][0]),
                                                         ms(qs[2][0]), ms(qs[3][0]), ms(p99[1]), ms(p99[2])))


if __name__ == '__main__':
    main()
