"""The progress bar: drawn on stderr when stderr is a terminal and the download is long
(over a second); never on stdout, never when stderr is not a terminal. The server spreads
the body over ~3 s, so the download is "long" however fast the machine is."""
import os
import pty
import subprocess
import threading

from harness import BIN, Scratch, main
from psd_server import PsdServer, Route, data_files, sample_zip_bytes

LM = "Tue, 20 Dec 2022 15:02:00 GMT"


def slow_server():
    srv = PsdServer()
    srv.routes["/slow.zip"] = Route(body=sample_zip_bytes(), etag='"slow"', last_modified=LM,
                                    dribble_s=3.0)
    return srv


def test_progress_bar_on_a_terminal():
    srv = slow_server()
    s = Scratch("extract-progress")
    env = dict(s.env, PSD_SOURCE_URL=srv.url("/slow.zip"))
    master, slave = pty.openpty()
    chunks = []

    def drain():
        while True:
            try:
                b = os.read(master, 4096)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    p = subprocess.run([BIN, "extract", "psd"], cwd=s.dir, env=env, stdout=subprocess.PIPE,
                       stderr=slave, stdin=subprocess.DEVNULL, timeout=120)
    os.close(slave)
    t.join(10)
    os.close(master)
    tty = b"".join(chunks).decode("utf-8", "replace")
    assert p.returncode == 0, tty
    out = p.stdout.decode()
    assert out.startswith("landed ") and out.count("\n") == 1, out  # stdout: the summary only
    assert "\r[" in tty and "100%" in tty, repr(tty[:500])
    assert len(data_files(s)) == 1
    srv.close()
    s.cleanup()


def test_no_progress_bar_when_stderr_is_not_a_terminal():
    srv = slow_server()
    s = Scratch("extract-progress")
    p = s.run("extract", "psd", env=dict(PSD_SOURCE_URL=srv.url("/slow.zip")), check=0)
    assert "\r" not in p.stderr and "%" not in p.stderr, repr(p.stderr)
    assert p.stdout.startswith("landed ") and p.stdout.count("\n") == 1
    srv.close()
    s.cleanup()


if __name__ == "__main__":
    main([test_progress_bar_on_a_terminal, test_no_progress_bar_when_stderr_is_not_a_terminal])
