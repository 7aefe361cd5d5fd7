"""Soak, short (issue 6): `materia serve` under steady load on loopback while the pipeline
swaps serving.duckdb 5 times between two different landed data sets (soak.py). No failed
request, no snapshot going backwards, new data within one request, no body mixing two
snapshots, old snapshots closed after each swap, the lakehouse never opened by the server.
The long version is bench/soak/run.sh.
"""
import json

from harness import Scratch, main
from soak import soak


def test_soak_five_swaps():
    s = Scratch("soak")
    figures, problems, samples = soak(s, swaps=5, conns=4)
    print(json.dumps(figures, sort_keys=True))
    for (i, fds, rss, n, total) in samples:
        print(f"  after swap {i}: open files {fds} (all fds {total}), rss {rss} kB, requests {n}")
    assert not problems, "\n".join(problems[:30])
    assert figures["swaps"] == 5 and figures["snapshots"] == 6, figures
    assert figures["requests"] > 0 and figures["connection_errors"] == 0, figures
    assert set(figures["statuses"]) <= {200, 304}, figures
    # open files are exact (no timing in them): the same count after every swap
    assert figures["fd_first"] == figures["fd_last"] == figures["fd_max"], samples
    s.cleanup()


if __name__ == "__main__":
    main([test_soak_five_swaps])
