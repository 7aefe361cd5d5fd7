"""infra/pulumi: the TypeScript program type-checks and its unit tests pass under Pulumi's
mocks (pulumi.runtime.setMocks: no Pulumi CLI, no cloud, no credentials; node's built-in
test runner). The npm packages are pinned exactly and installed by `scripts/bootstrap
--test` (`npm ci` in infra/pulumi). What needs a real cloud — `pulumi preview`/`up` — is in
infra/pulumi/README.md and docs/DEPLOY.md.

One tsc run does the type-check and the build: it checks exactly what `tsc --noEmit`
checks (same tsconfig.json, strict) and, with --noEmitOnError, writes JavaScript into a
scratch folder only when there is no error; `node --test` then runs test/*.test.ts from
there (each file in its own process: one stack per file)."""
import json
import os
import re
import subprocess
import tempfile

from harness import SRC, TMP_ROOT, main

PULUMI = os.path.join(SRC, "infra", "pulumi")
MODULES = os.path.join(PULUMI, "node_modules")


def test_packages_pinned():
    with open(os.path.join(PULUMI, "package.json")) as f:
        pkg = json.load(f)
    deps = {**pkg["dependencies"], **pkg["devDependencies"]}
    assert {"@pulumi/pulumi", "@pulumi/cloudflare", "@pulumi/hcloud", "typescript"} <= set(deps), deps
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in deps.values()), f"not exact versions: {deps}"
    with open(os.path.join(PULUMI, "package-lock.json")) as f:
        lock = json.load(f)["packages"]
    for name, version in deps.items():
        assert lock["node_modules/" + name]["version"] == version, (name, version)
    assert os.path.isdir(MODULES), "infra/pulumi/node_modules missing: scripts/bootstrap --test runs npm ci there"


def test_typecheck_and_mock_tests():
    os.makedirs(TMP_ROOT, exist_ok=True)
    out = tempfile.mkdtemp(prefix="pulumi-", dir=TMP_ROOT)
    p = subprocess.run([os.path.join(MODULES, ".bin", "tsc"), "-p", PULUMI, "--outDir", out, "--noEmitOnError"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, "tsc:\n" + p.stdout + p.stderr
    tests = sorted(os.listdir(os.path.join(out, "test")))
    assert {"stack.test.js", "variants.test.js", "settings.test.js", "index.test.js"} <= set(tests), tests
    # the compiled files live outside infra/pulumi: NODE_PATH finds its node_modules
    env = dict(os.environ, NODE_PATH=MODULES)
    p = subprocess.run(["node", "--test", "--test-reporter=tap", os.path.join(out, "test")], env=env,
                       capture_output=True, text=True, timeout=300, cwd=out)
    assert p.returncode == 0, "node --test:\n" + p.stdout[-6000:] + p.stderr[-2000:]
    counts = dict(re.findall(r"^# (pass|fail) (\d+)$", p.stdout, re.M))
    assert counts.get("fail") == "0" and int(counts.get("pass", "0")) >= 13, p.stdout[-3000:]
    subprocess.run(["rm", "-rf", out], check=True)


def test_readme_documents_every_config_key():
    with open(os.path.join(PULUMI, "settings.ts")) as f:
        src = f.read()
    block = src.split("export const KEYS", 1)[1].split("};", 1)[0]
    keys = re.findall(r"^\s+(\w+):", block, re.M)
    assert len(keys) >= 20, keys
    with open(os.path.join(PULUMI, "README.md")) as f:
        readme = f.read()
    missing = [k for k in keys if f"`materia:{k}`" not in readme]
    assert not missing, f"infra/pulumi/README.md lacks {missing}"
    assert "pulumi preview" in readme


if __name__ == "__main__":
    main([test_packages_pinned, test_typecheck_and_mock_tests, test_readme_documents_every_config_key])
