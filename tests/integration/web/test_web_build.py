"""web/build.mjs (issue 16): content-hashed asset names. Builds a copy of web/ (src/ and
build.mjs, the real node_modules linked) in a scratch directory and checks that
index.html names only files the build wrote, each under assets/ (what `materia serve`
caches as immutable); our files sit in one directory named by the hash of their contents,
vendor files carry their own content hash; the vendor reference inside map.js is rewritten;
the manifest lists every asset; every module app.js imports statically is modulepreloaded;
and a change to one of our files renames our directory while the vendor names stay."""
import hashlib
import json
import os
import re
import shutil
import subprocess

from harness import SRC, Scratch, main

S = Scratch("web-build")
WEB = os.path.join(S.dir, "web")


def build():
    p = subprocess.run(["node", "build.mjs"], cwd=WEB, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    dist = os.path.join(WEB, "dist")
    with open(os.path.join(dist, "index.html")) as f:
        html = f.read()
    with open(os.path.join(dist, "manifest.json")) as f:
        manifest = json.load(f)
    return dist, html, manifest


def setup():
    os.makedirs(WEB)
    shutil.copytree(os.path.join(SRC, "web", "src"), os.path.join(WEB, "src"))
    shutil.copy(os.path.join(SRC, "web", "build.mjs"), WEB)
    shutil.copy(os.path.join(SRC, "web", "package.json"), WEB)
    os.symlink(os.path.realpath(os.path.join(SRC, "web", "node_modules")), os.path.join(WEB, "node_modules"))


def refs(html):
    return re.findall(r'(?:src|href)="([^"#:]+)"', html)


def test_hashed_names():
    dist, html, manifest = build()
    r = refs(html)
    local = [x for x in r if x != "api"]  # the footer's link to the API page
    assert len(local) >= 8, r
    ourdir = None
    for ref in local:
        assert ref.startswith("assets/"), f"{ref}: not under assets/ (would not be cached)"
        assert os.path.isfile(os.path.join(dist, ref)), f"{ref}: named by index.html, not built"
        m = re.match(r"assets/vendor/.+\.([0-9a-f]{12})\.(js|json)$", ref)
        if m:
            with open(os.path.join(dist, ref), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest()[:12] == m.group(1), ref
        else:
            d = re.match(r"(assets/[0-9a-f]{12})/", ref)
            assert d, ref
            assert ourdir in (None, d.group(1)), (ourdir, ref)
            ourdir = d.group(1)
    # app.js's static graph is preloaded (the overview and what it needs); the other pages
    # are imported on demand and are not (the overview's first visit does not carry them)
    pre = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    for mod in ("format.js", "api.js", "pages/home.js"):
        assert f"{ourdir}/{mod}" in pre, (mod, pre)
    for mod in ("pages/country.js", "pages/compare.js", "pages/settings.js", "map.js"):
        assert f"{ourdir}/{mod}" not in pre, (mod, pre)
        assert os.path.isfile(os.path.join(dist, ourdir, mod)), mod
    assert f'<script type="module" src="{ourdir}/app.js">' in html
    # the map's fetch names the hashed atlas
    with open(os.path.join(dist, ourdir, "map.js")) as f:
        mapjs = f.read()
    atlas = manifest["vendor"]["vendor/countries-110m.json"]["path"]
    assert f"'{atlas}'" in mapjs and "'vendor/" not in mapjs, atlas
    assert manifest["vendor"]["vendor/chart.umd.min.js"]["package"].startswith("chart.js@")
    assert manifest["assets"]["app.js"] == f"{ourdir}/app.js"
    for p in list(manifest["assets"].values()) + [v["path"] for v in manifest["vendor"].values()]:
        assert os.path.isfile(os.path.join(dist, p)), p
    # nothing but index.html, the manifest and the licences outside assets/
    for d, _, files in os.walk(dist):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), dist)
            assert rel.startswith("assets/") or rel in ("index.html", "manifest.json") or \
                re.match(r"vendor/[\w.-]+\.LICENSE\.txt$", rel), rel


def test_change_renames_our_directory_only():
    _, html1, m1 = build()
    with open(os.path.join(WEB, "src", "format.js"), "a") as f:
        f.write("\n// a change\n")
    _, html2, m2 = build()
    assert m1["assets"]["app.js"] != m2["assets"]["app.js"], "our directory must change"
    assert m1["vendor"] == m2["vendor"], "vendor names must not change"
    _, html3, m3 = build()
    assert html2 == html3 and m2 == m3, "the build is deterministic"


def test_unknown_vendor_reference_fails():
    with open(os.path.join(WEB, "src", "map.js"), "a") as f:
        f.write("\nexport const x = 'vendor/nope.js';\n")
    p = subprocess.run(["node", "build.mjs"], cwd=WEB, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and "vendor/nope.js" in p.stderr, p.stderr


def test_external_fetch_fails_but_a_link_passes():
    """A link a reader follows (<a href="https://...">) is navigation and passes; a fetch of
    an external URL (script src, stylesheet link, import, fetch) fails the build, naming it."""
    home = os.path.join(WEB, "src", "pages", "home.js")
    with open(home) as f:
        original = f.read()
    try:
        with open(home, "w") as f:
            f.write(original + "\nexport const l = '<a href=\"https://example.org/x\" rel=\"external noopener\">x</a>';\n")
        build()
        for bad in ["export const s = '<script src=\"https://cdn.example.org/x.js\"></script>';",
                    "export const c = '<link rel=\"stylesheet\" href=\"https://cdn.example.org/x.css\">';",
                    "export const f = () => fetch('https://example.org/data.json');",
                    "export const a = '<a href=\"https://example.org/\"><img src=\"https://example.org/i.png\"></a>';",
                    "export const b = '<a style=\"background:url(https://example.org/i.png)\">x</a>';"]:
            with open(home, "w") as f:
                f.write(original + "\n" + bad + "\n")
            p = subprocess.run(["node", "build.mjs"], cwd=WEB, capture_output=True, text=True, timeout=120)
            assert p.returncode != 0, f"the build let through: {bad}"
            assert "pages/home.js refers to an external URL" in p.stderr, p.stderr
    finally:
        with open(home, "w") as f:
            f.write(original)


if __name__ == "__main__":
    setup()
    main([test_hashed_names, test_change_renames_our_directory_only, test_external_fetch_fails_but_a_link_passes,
          test_unknown_vendor_reference_fails])
