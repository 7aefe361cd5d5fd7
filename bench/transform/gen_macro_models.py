#!/usr/bin/env python3
"""gen_macro_models.py OUT_DIR [N] [--shared-if] — a generated SQLMesh project of macro-heavy models.

OUT_DIR gets, deterministically (no randomness: everything follows from the model number):
  config.yaml            SQLMesh's keys: a DuckDB gateway (lake.duckdb), model_defaults,
                         and project variables (env, weights) read through @VAR
  external_models.yaml   20 upstream tables raw.src_00 .. raw.src_19 in SQLMesh's format
                         (examples/sushi/external_models.yaml): name, description, columns
                         {column: type}, 12-15 columns each — what @STAR expands
  models/mNNNN.sql       N models (default 1000) in 10 schemas. Each model uses
                         @DEF (a value, a list and a lambda of one and of two arguments),
                         @EACH over a list (twice: a @DEF list and a @VAR list), @IF (on a
                         per-model @DEF value, on a project variable, on @model_kind_name,
                         and once as a clause macro @WHERE), and @STAR over its upstream
                         external table (with exclude and prefix). Every 5th model also
                         reads the model 10 before it (a DAG, not 1,000 roots).
                         One @IF's condition holds the model's number (`@IF(500 % 2 = 0, ...)`),
                         so each model has a constant expression no other model shares;
                         with --shared-if it is `@IF(@factor % 2 = 0, ...)` (5 distinct values
                         over the project) — the expander evaluates each distinct constant
                         once per process (in DuckDB), so the two bound its cost.
  schema_all.json        every external table's columns as `materia render --query --schema`
  query_one.sql, schema_one.json
                         model 500's query on its own, with its upstream table's columns as
                         --schema JSON: the input of `materia render --query`.
"""
import json
import os
import sys

N_SRC = 20


def src_columns(j):
    cols = {"id": "BIGINT", "secret": "VARCHAR", "ts": "TIMESTAMP"}
    for k in range(9 + j % 4):
        cols[f"v_{chr(ord('a') + k)}"] = "DOUBLE" if k % 2 == 0 else "INTEGER"
    cols["label"] = "VARCHAR"
    return cols


def model_query(i, names, shared_if=False):
    j = i % N_SRC
    factor = 1 + i % 5
    metrics = ", ".join(f"v_{c}" for c in "abcd"[: 2 + i % 3])
    parent = names[i - 10] if i % 5 == 0 and i >= 10 else None
    lines = [
        f"@DEF(factor, {factor});",
        f"@DEF(metrics, [{metrics}]);",
        "@DEF(scaled, x -> round(x * @factor, 2));",
        "@DEF(ratio, (a, b) -> CASE WHEN b = 0 THEN NULL ELSE a / b END);",
        "",
        "SELECT",
        "  s.id,",
        f"  @STAR(raw.src_{j:02d}, s, exclude := [id, secret], prefix := 'u_'),",
        "  @EACH(@metrics, m -> @scaled(m) AS scaled_@m),",
        "  @EACH(@VAR('weights'), w -> @ratio(v_b * w, v_a) AS weighted_@w),",
        "  @IF(@factor > 2, v_a + v_b, v_a - v_b) AS combo,",
        "  @IF(@VAR('env') = 'prod', 'prod', 'dev') AS env_tag,",
        f"  @IF(@model_kind_name = 'FULL', {i}, -{i}) AS kind_tag,",
        ("  @IF(@factor % 2 = 0, v_c, v_d) AS parity_pick" if shared_if else
         f"  @IF({i} % 2 = 0, v_c, v_d) AS parity_pick"),
        f"FROM raw.src_{j:02d} AS s",
    ]
    if parent:
        lines.append(f"LEFT JOIN {parent} AS p ON p.id = s.id")
    lines.append(f"@WHERE(@factor >= 3) s.v_a > {i % 7}")
    return "\n".join(lines) + "\n"


def main():
    args = [a for a in sys.argv[1:] if a != "--shared-if"]
    shared_if = "--shared-if" in sys.argv
    out = args[0]
    n = int(args[1]) if len(args) > 1 else 1000
    models = os.path.join(out, "models")
    os.makedirs(models, exist_ok=True)
    with open(os.path.join(out, "config.yaml"), "w") as f:
        f.write(
            "gateways:\n"
            "  local:\n"
            "    connection:\n"
            "      type: duckdb\n"
            "      database: lake.duckdb\n"
            "default_gateway: local\n"
            "\n"
            "model_defaults:\n"
            "  dialect: duckdb\n"
            "  cron: '@daily'\n"
            "  start: 2026-01-01\n"
            "\n"
            "variables:\n"
            "  env: prod\n"
            "  weights: [2, 3, 5]\n"
        )
    with open(os.path.join(out, "external_models.yaml"), "w") as f:
        for j in range(N_SRC):
            f.write(f"- name: raw.src_{j:02d}\n")
            f.write(f"  description: upstream table {j} of the macro benchmark\n")
            f.write("  columns:\n")
            for c, t in src_columns(j).items():
                f.write(f"    {c}: {t.lower() if t == 'VARCHAR' else t}\n")
    names = [f"s{i % 10}.m{i:04d}" for i in range(n)]
    for i, name in enumerate(names):
        with open(os.path.join(models, f"m{i:04d}.sql"), "w") as f:
            f.write(f"MODEL (\n  name {name},\n  kind FULL,\n  grain id\n);\n\n{model_query(i, names, shared_if)}")
    one = min(500, n - 1)
    with open(os.path.join(out, "query_one.sql"), "w") as f:
        f.write(model_query(one, names, shared_if))
    with open(os.path.join(out, "schema_one.json"), "w") as f:
        json.dump({f"raw.src_{one % N_SRC:02d}": src_columns(one % N_SRC)}, f)
    with open(os.path.join(out, "schema_all.json"), "w") as f:
        json.dump({f"raw.src_{j:02d}": src_columns(j) for j in range(N_SRC)}, f)
    print(f"{n} macro-heavy models in {models}; {N_SRC} external tables"
          f"{'; @IF conditions shared' if shared_if else ''}")


if __name__ == "__main__":
    main()
