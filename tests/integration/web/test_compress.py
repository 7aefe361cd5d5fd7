"""Compression and caching of `materia serve` over real HTTP (issue 16).

Static files: the dashboard as web/build.mjs builds it (a scratch copy of web/), every file
fetched with each Accept-Encoding a client may send; each answer decodes (gzip with zlib,
brotli with Debian's libbrotli through ctypes) to the file byte for byte; Vary:
Accept-Encoding everywhere; a distinct strong ETag per coding and a 304 for the one that
matches; `immutable` only on the content-hashed names (assets/), no-cache + ETag on
index.html; every file compressed once, at start (in the background); a rebuilt file is
served at once. API: every coding decodes to the same JSON,
a cached hit compresses nothing (materia_http_compressions_total in /metrics), and an
answer the cache cannot keep (MATERIA_CACHE_MAX_BYTES) is compressed in the asked-for coding
only; a small answer (sent only as it is) gets its 304 on a cold cache too."""
import ctypes
import ctypes.util
import gzip
import os
import re
import shutil
import subprocess

from harness import SRC, Scratch, main
import webfix

S = Scratch("web-compress")
webfix.build_serving(S, S.serving, "snap-A")
WEB = os.path.join(S.dir, "web")
DIST = os.path.join(WEB, "dist")
EMPTY = os.path.join(S.dir, "empty")
os.makedirs(EMPTY)

_brotli = ctypes.CDLL(ctypes.util.find_library("brotlidec") or "libbrotlidec.so.1")


def unbrotli(data, limit=64 << 20):
    out = ctypes.create_string_buffer(limit)
    n = ctypes.c_size_t(limit)
    rc = _brotli.BrotliDecoderDecompress(ctypes.c_size_t(len(data)), data, ctypes.byref(n), out)
    assert rc == 1, f"brotli decode failed ({rc})"
    return out.raw[:n.value]


def decode(h, body):
    enc = h.get("content-encoding", "identity")
    if enc == "gzip":
        return gzip.decompress(body)
    if enc == "br":
        return unbrotli(body)
    assert enc == "identity", enc
    return body


def build_dist():
    os.makedirs(WEB)
    shutil.copytree(os.path.join(SRC, "web", "src"), os.path.join(WEB, "src"))
    shutil.copy(os.path.join(SRC, "web", "build.mjs"), WEB)
    os.symlink(os.path.realpath(os.path.join(SRC, "web", "node_modules")), os.path.join(WEB, "node_modules"))
    p = subprocess.run(["node", "build.mjs"], cwd=WEB, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    # a file that does not compress, and one too small to be worth it
    os.makedirs(os.path.join(DIST, "assets", "bin"))
    with open(os.path.join(DIST, "assets", "bin", "noise.png"), "wb") as f:
        f.write(os.urandom(5000))
    with open(os.path.join(DIST, "tiny.txt"), "w") as f:
        f.write("hi\n")


def dist_files():
    out = []
    for d, _, files in os.walk(DIST):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), DIST))
    return sorted(out)


AES = [None, "identity", "gzip", "br", "gzip, deflate, br", "gzip, deflate, br, zstd", "br;q=0, gzip",
       "*", "identity;q=0", "gzip;q=0.5, br;q=0.9"]


def want_coding(ae, compressible):
    if not compressible:
        return "identity"
    return {None: "identity", "identity": "identity", "gzip": "gzip", "br": "br", "gzip, deflate, br": "br",
            "gzip, deflate, br, zstd": "br", "br;q=0, gzip": "gzip", "*": "br", "identity;q=0": "identity",
            "gzip;q=0.5, br;q=0.9": "br"}[ae]


def get(srv, path, ae=None, extra=None, method="GET"):
    h = {"Accept-Encoding": ae if ae is not None else ""}
    if ae is None:
        h = {}
    h.update(extra or {})
    # http.client adds "Accept-Encoding: identity" unless told not to: send exactly ours
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def test_static_every_coding_byte_for_byte():
    srv = webfix.Server(S, env={"MATERIA_WEB_DIR": DIST}, name="static")
    try:
        files = dist_files()
        # compressed at start, in the background: two compressions per compressible file
        worth = 0
        for rel in files:
            if not rel.endswith(".png") and os.path.getsize(os.path.join(DIST, rel)) >= 256:
                worth += 1
        assert webfix.wait_for(lambda: sum(compressions(srv).values()) == 2 * worth, timeout=120), \
            (compressions(srv), worth)
        warmed = compressions(srv)
        assert "index.html" in files and any(f.startswith("assets/vendor/chart.umd.min.") for f in files), files
        for rel in files:
            with open(os.path.join(DIST, rel), "rb") as f:
                want = f.read()
            path = "/" if rel == "index.html" else "/" + rel
            compressible = not rel.endswith(".png") and len(want) >= 256
            etags = {}
            for ae in AES:
                st, h, body = get(srv, path, ae)
                assert st == 200, (rel, ae, st)
                coding = h.get("content-encoding", "identity")
                assert coding == want_coding(ae, compressible), (rel, ae, coding)
                assert decode(h, body) == want, (rel, ae)
                assert h["vary"] == "Accept-Encoding", (rel, h)
                assert int(h["content-length"]) == len(body)
                if coding != "identity":
                    assert len(body) < len(want), (rel, coding, len(body), len(want))
                etags.setdefault(coding, set()).add(h["etag"])
                # cache policy: immutable exactly on the hashed names
                if rel.startswith("assets/"):
                    assert h["cache-control"] == "public, max-age=31536000, immutable", (rel, h)
                else:
                    assert h["cache-control"] == "no-cache", (rel, h)
                # 304 for this coding's ETag, with the headers the 200 had
                st, h2, b2 = get(srv, path, ae, {"If-None-Match": h["etag"]})
                assert st == 304 and b2 == b"" and h2["etag"] == h["etag"], (rel, ae, st)
                assert h2["vary"] == "Accept-Encoding" and h2["cache-control"] == h["cache-control"]
            # one strong ETag per coding, distinct across codings
            assert all(len(v) == 1 for v in etags.values()), (rel, etags)
            flat = [next(iter(v)) for v in etags.values()]
            assert len(set(flat)) == len(flat) and not any(e.startswith("W/") for e in flat), (rel, etags)
            if "br" in etags and "gzip" in etags:
                # a gzip validator does not match the brotli representation (RFC 9110 §13.1.2)
                st, _, _ = get(srv, path, "br", {"If-None-Match": next(iter(etags["gzip"]))})
                assert st == 200, rel
        st, h, _ = get(srv, "/nope.js", "br")
        assert st == 404
        assert compressions(srv) == warmed, "every file was compressed once, at start"
    finally:
        srv.stop()


def test_index_revalidated_and_rebuilt_file_served():
    srv = webfix.Server(S, env={"MATERIA_WEB_DIR": DIST}, name="rebuild")
    try:
        st, h, body = get(srv, "/", "br")
        assert st == 200 and h["cache-control"] == "no-cache"
        refs = re.findall(rb'(?:src|href)="(assets/[^"]+)"', decode(h, body))
        assert len(refs) >= 8, refs
        for ref in refs:  # everything index.html names is immutable
            st, h2, _ = get(srv, "/" + ref.decode(), "br")
            assert st == 200 and "immutable" in h2["cache-control"], (ref, h2)
        etag = h["etag"]
        st, _, _ = get(srv, "/", "br", {"If-None-Match": etag})
        assert st == 304
        # a new build of index.html: the next request sees it, with another ETag
        path = os.path.join(DIST, "index.html")
        with open(path, "rb") as f:
            old = f.read()
        with open(path + ".new", "wb") as f:
            f.write(old.replace(b"<title>", b"<title>New "))
        os.replace(path + ".new", path)
        st, h3, body3 = get(srv, "/", "br", {"If-None-Match": etag})
        assert st == 200 and h3["etag"] != etag and b"<title>New " in decode(h3, body3), (st, h3)
        # unchanged bytes under a new inode keep their ETag (it hashes the content)
        with open(path, "rb") as f:
            cur = f.read()
        with open(path + ".new", "wb") as f:
            f.write(cur)
        os.replace(path + ".new", path)
        st, _, _ = get(srv, "/", "br", {"If-None-Match": h3["etag"]})
        assert st == 304
    finally:
        srv.stop()


def compressions(srv):
    st, _, body = get(srv, "/metrics")
    assert st == 200
    text = body.decode()
    n = {}
    for c in ("gzip", "br"):
        m = re.search(r'^materia_http_compressions_total\{coding="%s"\} (\d+)$' % c, text, re.M)
        assert m, text[-2000:]
        n[c] = int(m.group(1))
    return n


def test_api_compressed_once_per_snapshot():
    srv = webfix.Server(S, env={"MATERIA_WEB_DIR": EMPTY}, name="api")  # no static warming
    try:
        for path in ["/api/world", "/api/balance/BR", "/api/rankings?metric=production", "/api/balance/BR?format=csv"]:
            st, h, plain = get(srv, path)
            assert st == 200 and "content-encoding" not in h and h["vary"] == "Accept-Encoding", (path, h)
            before = compressions(srv)
            seen = {}
            for _ in range(3):  # the first request built the entry: these are all hits
                for ae in ["gzip", "br", "gzip, deflate, br", None]:
                    st, h2, body = get(srv, path, ae)
                    assert st == 200 and decode(h2, body) == plain, (path, ae)
                    seen[h2.get("content-encoding", "identity")] = h2["etag"]
            assert compressions(srv) == before, "a cached hit must not compress"
            assert set(seen) == {"identity", "gzip", "br"}, seen
            assert seen["gzip"] == seen["identity"][:-1] + '-gzip"' and seen["br"] == seen["identity"][:-1] + '-br"'
            st, h3, b3 = get(srv, path, "br", {"If-None-Match": seen["br"]})
            assert st == 304 and b3 == b"" and h3["etag"] == seen["br"] and h3["vary"] == "Accept-Encoding"
            st, _, _ = get(srv, path, "br", {"If-None-Match": seen["identity"]})
            assert st == 200
            st, h4, b4 = get(srv, path, "br", method="HEAD")
            assert st == 200 and b4 == b"" and h4["content-encoding"] == "br"
        # a miss compresses each coding once
        before = compressions(srv)
        st, h, _ = get(srv, "/api/balance/CO", "br")
        assert st == 200 and h["content-encoding"] == "br"
        after = compressions(srv)
        assert after["gzip"] == before["gzip"] + 1 and after["br"] == before["br"] + 1, (before, after)
        # small answers (errors, tiny bodies) are sent as they are
        st, h, body = get(srv, "/api/balance/ZZ", "br")
        assert st == 404 and "content-encoding" not in h
    finally:
        srv.stop()


def test_api_cache_off_compresses_what_is_asked():
    srv = webfix.Server(S, env={"MATERIA_WEB_DIR": EMPTY, "MATERIA_CACHE": "off"}, name="nocache")
    try:
        st, _, plain = get(srv, "/api/world")
        before = compressions(srv)
        st, h, body = get(srv, "/api/world", "gzip, deflate, br")
        assert st == 200 and h["content-encoding"] == "br" and unbrotli(body) == plain
        after = compressions(srv)
        assert after == {"gzip": before["gzip"], "br": before["br"] + 1}, (before, after)
        st, h, body = get(srv, "/api/world", "gzip")
        assert st == 200 and h["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    finally:
        srv.stop()


def test_api_not_kept_compresses_what_is_asked():
    # a budget (MATERIA_CACHE_MAX_BYTES) that holds the small rankings answer in every coding
    # but not /api/world (28 kB): an answer the cache cannot keep is compressed in the coding
    # asked for only, on every request, as with the cache off (review of issue 16: each miss
    # made brotli and gzip forms only to throw them away)
    srv = webfix.Server(S, env={"MATERIA_WEB_DIR": EMPTY, "MATERIA_CACHE_MAX_BYTES": "20000"}, name="budget")
    try:
        kept = "/api/rankings?metric=production"
        before = compressions(srv)
        st, h, small = get(srv, kept, "br")
        assert st == 200 and h["content-encoding"] == "br" and 256 < len(unbrotli(small)) < 2000, (st, h)
        after = compressions(srv)
        assert after == {"gzip": before["gzip"] + 1, "br": before["br"] + 1}, (before, after)
        st, h, _ = get(srv, kept, "gzip")
        assert st == 200 and h["content-encoding"] == "gzip" and compressions(srv) == after, "kept: a hit"
        st, _, plain = get(srv, "/api/world")
        assert st == 200 and len(plain) > 20000, len(plain)
        for ae, coding in [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br")]:
            before = compressions(srv)
            st, h, body = get(srv, "/api/world", ae)
            assert st == 200 and h["content-encoding"] == coding and decode(h, body) == plain, (ae, h)
            after = compressions(srv)
            other = "gzip" if coding == "br" else "br"
            assert after == {coding: before[coding] + 1, other: before[other]}, (ae, before, after)
    finally:
        srv.stop()


def test_api_small_answer_304_on_the_miss_path():
    # an answer below the compression threshold is only ever sent as it is, so its one ETag
    # (the identity one) gets a 304 from a client that accepts br on the miss path as on the
    # hit path: the first request after a restart (cache cold), and every request when the
    # cache is off or cannot keep it (review of issue 16: the miss path compared only with
    # the brotli ETag, which such an answer never has). A large answer's identity ETag still
    # gets the brotli form (a 200) there, as on a hit.
    small, large, br = "/api/rankings?metric=production&limit=1", "/api/world", "gzip, deflate, br"
    srv = webfix.Server(S, env={"MATERIA_WEB_DIR": EMPTY}, name="etag-first")
    try:
        st, h, body = get(srv, small, br)
        assert st == 200 and "content-encoding" not in h and len(body) < 256, (st, h, len(body))
        etag = h["etag"]
        st, h, _ = get(srv, small, br, {"If-None-Match": etag})
        assert st == 304 and h["etag"] == etag, (st, h)  # a hit
        st, h, _ = get(srv, large)
        assert st == 200 and "content-encoding" not in h, h
        large_etag = h["etag"]
    finally:
        srv.stop()
    for name, env in [("etag-cold", {}), ("etag-off", {"MATERIA_CACHE": "off"}),
                      ("etag-spent", {"MATERIA_CACHE_MAX_BYTES": "0"})]:
        srv = webfix.Server(S, env=dict({"MATERIA_WEB_DIR": EMPTY}, **env), name=name)
        try:
            for i in range(2):  # the first request after the start, then a hit (or a miss again)
                st, h, b = get(srv, small, br, {"If-None-Match": etag})
                assert st == 304 and b == b"" and h["etag"] == etag, (name, i, st, h)
                assert h["vary"] == "Accept-Encoding" and h["cache-control"], (name, h)
            st, h, b = get(srv, large, br, {"If-None-Match": large_etag})
            assert st == 200 and h["content-encoding"] == "br" and h["etag"] == large_etag[:-1] + '-br"', (name, h)
        finally:
            srv.stop()


if __name__ == "__main__":
    build_dist()
    main([test_static_every_coding_byte_for_byte, test_index_revalidated_and_rebuilt_file_served,
          test_api_compressed_once_per_snapshot, test_api_cache_off_compresses_what_is_asked,
          test_api_not_kept_compresses_what_is_asked, test_api_small_answer_304_on_the_miss_path])
