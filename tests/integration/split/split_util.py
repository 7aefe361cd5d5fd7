"""split_util.py — shared helpers for the split tests (issue 6): holding a DuckDB file open
on purpose, watching a process's open files, a tiny HTTP client, snapshot checks.

A "holder" is `materia sql --write DB "...; SELECT * FROM read_csv(FIFO)"`: the process
opens the database (taking DuckDB's file lock), then blocks reading a named pipe. The test
knows the lock is held — without any sleep or timing guess — by finding the holder's POSIX
write lock on the file's inode in /proc/locks (DuckDB locks with fcntl). Writing lines into
the pipe lets the holder finish.
"""
import errno
import http.client
import json
import os
import subprocess
import time

from harness import BIN

LOCK_ERROR = "Could not set lock on file"


class Holder:
    """A `materia sql --write` process holding db open until release()."""

    def __init__(self, scratch, db, setup_sql="SELECT 1"):
        self.fifo = os.path.join(scratch.dir, "hold.fifo")
        if not os.path.exists(self.fifo):
            os.mkfifo(self.fifo)
        self.db = db
        sql = (f"{setup_sql}; SELECT count(*) FROM read_csv('{self.fifo}', header=false, "
               "columns={'line': 'VARCHAR'})")
        self.proc = subprocess.Popen([BIN, "sql", "--write", db, sql], cwd=scratch.dir,
                                     env=scratch.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)

    def wait_holding(self, timeout=120):
        """Returns once the holder holds DuckDB's write lock on db (seen in /proc/locks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError(f"holder exited early ({self.proc.returncode}): {err}")
            if ("WRITE", self.proc.pid) in file_locks(self.db):
                return
            time.sleep(0.05)
        raise AssertionError("holder never locked " + self.db)

    def release(self, timeout=120):
        """Feeds the pipe until the holder exits; returns (rc, stdout, stderr)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                try:
                    os.write(fd, b"released\n")
                finally:
                    os.close(fd)
            except OSError as e:
                if e.errno not in (errno.ENXIO, errno.EPIPE, errno.EAGAIN):
                    raise
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
        out, err = self.proc.communicate()
        return self.proc.returncode, out, err


def file_locks(path):
    """[(READ|WRITE, pid)] of the POSIX/flock locks /proc/locks lists on path's inode."""
    st = os.stat(path)
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    out = []
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            # "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (blocked waiters carry "->")
            if "->" in parts:
                continue
            if len(parts) >= 6 and parts[5] == want:
                out.append((parts[3], int(parts[4])))
    return out


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(conn, path, headers=None):
    """One GET on a keep-alive http.client connection: (status, headers dict, body bytes)."""
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def get_json(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        st, h, body = get(c, path)
        return st, h, (json.loads(body) if body else None)
    finally:
        c.close()
