#!/usr/bin/env python3
"""gen_many_models.py OUT_DIR [N] — a generated model project for the engine benchmark.

N models (default 1000) in SQLMesh format under OUT_DIR/models: 10 roots (FULL over
range()), then chains (each model reads the previous one) and fan-outs (a model reads two
or three earlier models), deterministic (seeded). Every model is small, so the numbers
measure the engine (parse, DAG, fingerprints, state), not DuckDB.
"""
import os
import random
import sys


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rnd = random.Random(42)
    models = os.path.join(out, "models")
    os.makedirs(models, exist_ok=True)
    names = []
    for i in range(n):
        schema = f"s{i % 10}"
        name = f"{schema}.m{i:04d}"
        if i < 10:
            kind, body = "FULL", f"SELECT range AS id, range * {i} AS v FROM range(100)"
        elif i % 3 == 0:  # fan-in of 2-3 earlier models
            parents = rnd.sample(names[max(0, i - 50):i], k=min(3, len(names[max(0, i - 50):i])))
            sel = " UNION ALL ".join(f"SELECT id, v FROM {p}" for p in parents)
            kind, body = "FULL", f"WITH u AS ({sel}) SELECT id, sum(v) AS v FROM u GROUP BY id"
        else:  # chain
            p = names[i - 1]
            kind = "VIEW" if i % 7 == 0 else "FULL"
            body = f"SELECT id, v + 1 AS v FROM {p}"
        names.append(name)
        with open(os.path.join(models, f"m{i:04d}.sql"), "w") as f:
            f.write(f"MODEL (\n  name {name},\n  kind {kind},\n  cron '@daily',\n  grain id\n);\n\n{body}\n")
    print(f"{n} models in {models}")


if __name__ == "__main__":
    main()
