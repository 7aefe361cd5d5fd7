"""docker-compose.yml and web/Dockerfile, checked for configuration only: no Docker engine
runs on the test machines, so no image is built and no container started here
(docs/DEPLOY.md says what that leaves unchecked). `docker-compose config` (Debian's
docker-compose 1.29, installed by `scripts/bootstrap --test` for this test) parses and
interpolates the file as `docker-compose up` would; the Dockerfile is read for what the
issue asks of it (Debian 12, the project's own bootstrap and Release build, a non-root user,
a HEALTHCHECK on /health), and its runtime package list is checked against the shared
libraries the binary and libduckdb.so really link (readelf + dpkg -S on this Debian 12
machine). The replica's start-up guard is run with /bin/sh."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import BIN, SRC, TMP_ROOT, main

COMPOSE = os.path.join(SRC, "docker-compose.yml")
DOCKERFILE = os.path.join(SRC, "web", "Dockerfile")


def compose(env_text, *args, want=0):
    """docker-compose -f docker-compose.yml --env-file <a file with env_text> ARGS."""
    assert shutil.which("docker-compose"), "docker-compose missing (scripts/bootstrap --test installs it)"
    os.makedirs(TMP_ROOT, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=TMP_ROOT, suffix=".env", delete=False) as f:
        f.write(env_text)
    # a clean environment: only the env file sets the variables compose interpolates
    env = {k: v for k, v in os.environ.items()
           if k not in ("SERVING_PUBLISH_URL", "S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                        "AWS_REGION") and not k.startswith("COMPOSE_")}
    try:
        p = subprocess.run(["docker-compose", "-f", COMPOSE, "--env-file", f.name, *args], env=env,
                           capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(f.name)
    assert p.returncode == want, f"docker-compose {args}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout


def service_blocks(config):
    """`docker-compose config` output split by service: {name: its lines as one string}."""
    body = ("\n" + config).split("\nservices:\n", 1)[1]
    out, name = {}, None
    for line in body.splitlines():
        if not line.startswith(" "):
            break
        m = re.fullmatch(r"  ([a-z][a-z0-9_-]*):", line)
        if m:
            name = m.group(1)
            out[name] = ""
        else:
            out[name] += line + "\n"
    return out


def dockerfile():
    with open(DOCKERFILE) as f:
        lines = [l.rstrip("\n") for l in f]
    # join continuation lines, drop comments
    text, out = "", []
    for l in lines:
        if l.lstrip().startswith("#"):
            continue
        text += l[:-1] + " " if l.endswith("\\") else l
        if not l.endswith("\\"):
            if text.strip():
                out.append(text.strip())
            text = ""
    return out


def test_compose_config_parses_with_and_without_settings():
    services = compose("", "config", "--services").split()
    assert sorted(services) == ["replica", "web"], services
    assert compose("", "config", "--profiles").split() == ["replica"]
    # nothing set: still valid (the web app alone needs no bucket); the replica's URL is empty
    blocks = service_blocks(compose("", "config"))
    assert "SERVING_PUBLISH_URL: ''" in blocks["replica"], blocks["replica"]
    for name in ("web", "replica"):
        b = blocks[name]
        assert "dockerfile: web/Dockerfile" in b and f"context: {SRC}\n" in b, b
        assert "image: materia:local" in b, b
    assert os.path.isfile(DOCKERFILE)
    # only on loopback: nothing is published to the world by a developer's `up`
    assert "127.0.0.1:8000:8000/tcp" in blocks["web"] and "127.0.0.1:8001:8000/tcp" in blocks["replica"]
    assert f"{SRC}/data:/srv/serving:ro" in blocks["web"], blocks["web"]
    assert "SERVING_DUCKDB_PATH: /srv/serving/serving.duckdb" in blocks["web"]


def test_compose_passes_the_bucket_settings_to_the_replica_only():
    env = ("SERVING_PUBLISH_URL=s3://materia-serving/serving/\nS3_ENDPOINT=https://acct.r2.cloudflarestorage.com\n"
           "AWS_ACCESS_KEY_ID=AKIDTEST1234\nAWS_SECRET_ACCESS_KEY=s3cr3t-test-value\nAWS_REGION=auto\n")
    blocks = service_blocks(compose(env, "config"))
    r = blocks["replica"]
    for line in ("SERVING_PUBLISH_URL: s3://materia-serving/serving/", "S3_ENDPOINT: https://acct.r2.cloudflarestorage.com",
                 "AWS_ACCESS_KEY_ID: AKIDTEST1234", "AWS_SECRET_ACCESS_KEY: s3cr3t-test-value", "AWS_REGION: auto"):
        assert line in r, (line, r)
    assert "s3cr3t-test-value" not in blocks["web"] and "AKIDTEST1234" not in blocks["web"]
    # ./.env reaches the containers through these ${...} only (no env_file, docker-compose 1.29
    # has no `required: false`): the replica gets exactly the five, the web app none of them,
    # and the file's header says so rather than calling .env "the same file materia reads"
    assert "env_file" not in blocks["web"] and "env_file" not in r, blocks
    def env_keys(block):
        lines = block.split("    environment:\n", 1)[1].splitlines()
        return sorted(l.split(":", 1)[0].strip() for l in lines[:next(
            (i for i, l in enumerate(lines) if not l.startswith("      ")), len(lines))])
    assert env_keys(r) == ["AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "S3_ENDPOINT",
                           "SERVING_PUBLISH_URL"], r
    assert env_keys(blocks["web"]) == ["SERVING_DUCKDB_PATH"], blocks["web"]
    with open(COMPOSE) as f:
        header = f.read().split("\nx-image:", 1)[0]
    assert "the same file materia reads" not in header and "NOT handed to the containers whole" in header


def replica_guard():
    """The replica's entrypoint shell text, as compose hands it to /bin/sh -c."""
    with open(COMPOSE) as f:
        lines = f.read().split("\n")
    i = lines.index("      - >-")          # the folded block after `- -c` in the replica's entrypoint
    block = []
    for l in lines[i + 1:]:
        if not l.startswith("        "):
            break
        block.append(l.strip())
    return " ".join(block).replace("$$", "$")


def test_replica_refuses_an_empty_bucket_url():
    os.makedirs(TMP_ROOT, exist_ok=True)
    d = tempfile.mkdtemp(prefix="compose-", dir=TMP_ROOT)
    guard = replica_guard()
    assert guard.endswith('exec /opt/materia/build/release/materia serve --follow "$SERVING_PUBLISH_URL"'), guard
    # the image's binary is a stub here that records its arguments
    stub = os.path.join(d, "materia")
    with open(stub, "w") as f:
        f.write('#!/bin/sh\nprintf "%s\\n" "$@" > "$0.args"\n')
    os.chmod(stub, 0o755)
    guard = guard.replace("/opt/materia/build/release/materia", stub)
    p = subprocess.run(["/bin/sh", "-c", guard], env={"PATH": "/usr/bin:/bin", "SERVING_PUBLISH_URL": ""},
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "SERVING_PUBLISH_URL is empty" in p.stderr, p
    assert not os.path.exists(stub + ".args")
    p = subprocess.run(["/bin/sh", "-c", guard], env={"PATH": "/usr/bin:/bin", "SERVING_PUBLISH_URL": "s3://b/serving/"},
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p
    with open(stub + ".args") as f:
        assert f.read().split("\n")[:3] == ["serve", "--follow", "s3://b/serving/"]
    shutil.rmtree(d)


def test_dockerfile_builds_with_the_project_scripts_and_runs_unprivileged():
    lines = dockerfile()
    froms = [l.split()[1] for l in lines if l.startswith("FROM ")]
    assert froms and all(re.fullmatch(r"debian:12(-slim)?", f) for f in froms), froms
    runs = " ".join(l for l in lines if l.startswith("RUN "))
    assert "scripts/bootstrap" in runs and "-DCMAKE_BUILD_TYPE=Release" in runs, runs
    users = [l.split()[1] for l in lines if l.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    last_stage = lines[max(i for i, l in enumerate(lines) if l.startswith("FROM ")):]
    assert [l for l in last_stage if l.startswith("USER ")], "the runtime stage sets no USER"
    (hc,) = [l for l in lines if l.startswith("HEALTHCHECK ")]
    assert re.search(r"CMD .*http://127\.0\.0\.1:8000/health\b", hc), hc
    assert 'CMD ["serve"]' in lines and "EXPOSE 8000" in lines
    assert "MATERIA_HTTP_ADDR=0.0.0.0:8000" in " ".join(l for l in lines if l.startswith("ENV "))
    # the build context (the repository root) leaves out local data, build output and secrets
    with open(os.path.join(SRC, ".dockerignore")) as f:
        ignored = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    assert {".git", "build", "third_party", "data", ".env", "**/node_modules"} <= ignored, ignored


def needed_packages(path):
    """The Debian packages holding the shared libraries `path` links directly (NEEDED)."""
    p = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)
    p = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=60)
    where = dict(re.findall(r"^\s*(\S+) => (\S+)", p.stdout, re.M))
    out = {}
    for lib in needed:
        if lib.startswith("ld-linux"):   # the dynamic loader: libc6
            continue
        assert lib in where, (lib, p.stdout)
        real = where[lib]
        if lib == "libduckdb.so":
            out[lib] = "third_party"
            continue
        # merged /usr: dpkg knows one spelling of the path, /lib/... or /usr/lib/...
        for cand in (real, "/usr" + real, os.path.realpath(real), os.path.realpath(real).replace("/usr/lib/", "/lib/", 1)):
            q = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True, timeout=60)
            if q.returncode == 0:
                break
        assert q.returncode == 0, (lib, real, q.stderr)
        out[lib] = q.stdout.split(":", 1)[0]
    return out


def test_runtime_stage_installs_every_library_the_binary_links():
    lines = dockerfile()
    runtime = lines[max(i for i, l in enumerate(lines) if l.startswith("FROM ")):]
    installed = set()
    for l in runtime:
        m = re.search(r"apt-get install ([^&]*)", l)
        if m:
            installed |= {w for w in m.group(1).split() if not w.startswith("-") and not w.startswith(">")}
    assert installed, runtime
    # libc6 and libgcc-s1 are in every Debian image; the sanitizer runtimes are the ASan build's
    base = {"libc6", "libgcc-s1"}
    sanitizers = {"libasan8", "libubsan1"}
    duckdb = os.path.join(SRC, "third_party", "duckdb", "lib", "libduckdb.so")
    pkgs = {**needed_packages(BIN), **needed_packages(duckdb)}
    assert pkgs.pop("libduckdb.so") == "third_party"
    missing = {lib: pkg for lib, pkg in pkgs.items() if pkg not in installed | base | sanitizers}
    assert not missing, f"web/Dockerfile's runtime stage lacks {missing}"
    assert any("third_party/duckdb/lib/libduckdb.so" in l for l in runtime if l.startswith("COPY "))


if __name__ == "__main__":
    main([test_compose_config_parses_with_and_without_settings, test_compose_passes_the_bucket_settings_to_the_replica_only,
          test_replica_refuses_an_empty_bucket_url, test_dockerfile_builds_with_the_project_scripts_and_runs_unprivileged,
          test_runtime_stage_installs_every_library_the_binary_links])
