"""SQLMesh's 29 built-in audits (sqlmesh/core/audit/builtin.py), each proven on data: a
table it passes and a table it fails. Every built-in runs in its blocking form on the
passing tables (the run succeeds) and in its `_non_blocking` form on the failing ones (the
run succeeds too, with one warning per audit naming its bad rows); a few fail a run in
their blocking form. Then the blocking rules (SQLMesh's evaluator: a `blocking := ...`
argument wins over the audit's own `blocking`), `skip true`, an audit rendered with the
interval the run processed (@start_ds / @end_ds), and the AUDIT properties materia refuses
with their messages."""
from tproject import new_scratch, q, write_files

T0 = "2024-02-01 12:00"


def rows(cols, *vals):
    """SELECT over a VALUES list: rows("a, b", "(1, 'x')", ...)."""
    return f"SELECT * FROM (VALUES {', '.join(vals)}) AS t({cols})"


def series(col, values):
    return rows(col, *[f"({v})" for v in values])


# name, arguments, passing query, failing query, text the failure shows
CASES = [
    ("not_null", "columns := (a, b)", rows("a, b", "(1, 'x')", "(2, 'y')"),
     rows("a, b", "(1, 'x')", "(2, NULL)"), "b=NULL"),
    ("unique_values", "columns := (a)", series("a", [1, 2]), series("a", [1, 1]), "rank_a=2"),
    ("accepted_values", "column := k, is_in := ('x', 'y')", series("k", ["'x'", "'y'"]),
     series("k", ["'x'", "'z'"]), "k=z"),
    ("number_of_rows", "threshold := 2", series("a", [1, 2, 3]), series("a", [1, 2]), "count_star()=2"),
    ("forall", "criteria := (a > 0, b < 10)", rows("a, b", "(1, 2)", "(5, 9)"),
     rows("a, b", "(1, 2)", "(-1, 3)"), "a=-1"),
    ("accepted_range", "column := a, min_v := 0, max_v := 10", series("a", [0, 10]), series("a", [0, 11]), "a=11"),
    ("at_least_one", "column := a", series("a", [1, "NULL"]), series("a", ["NULL::INT", "NULL"]), "1 bad rows"),
    ("not_constant", "column := a", series("a", [1, 2]), series("a", [1, 1]), "{1=1}"),
    ("not_empty_string", "column := s", series("s", ["'x'"]), series("s", ["'x'", "''"]), "s=}"),
    ("not_null_proportion", "column := a, threshold := 0.5", series("a", [1, 2, 3, "NULL"]),
     series("a", [1, "NULL", "NULL", "NULL"]), "cnt_null=3"),
    ("not_accepted_values", "column := k, is_in := ('bad')", series("k", ["'ok'"]),
     series("k", ["'ok'", "'bad'"]), "k=bad"),
    ("sequential_values", "column := a", series("a", [1, 2, 3]), series("a", [1, 3]), "prv=1"),
    ("unique_combination_of_columns", "columns := (a, b)", rows("a, b", "(1, 'x')", "(1, 'y')"),
     rows("a, b", "(1, 'x')", "(1, 'x')"), "a=1, b=x"),
    ("mutually_exclusive_ranges", "lower_bound_column := lo, upper_bound_column := hi",
     rows("lo, hi", "(1, 2)", "(3, 4)"), rows("lo, hi", "(1, 5)", "(3, 4)"), "lower_bound=1"),
    ("valid_uuid", "column := s", series("s", ["'123e4567-e89b-12d3-a456-426614174000'"]),
     series("s", ["'not-a-uuid'"]), "s=not-a-uuid"),
    ("valid_url", "column := s", series("s", ["'https://example.com/x'"]), series("s", ["'example'"]), "s=example"),
    ("valid_http_method", "column := s", series("s", ["'GET'", "'POST'"]), series("s", ["'FETCH'"]), "s=FETCH"),
    ("valid_email", "column := s", series("s", ["'a.b@example.com'"]), series("s", ["'a@'"]), "s=a@"),
    ("match_regex_pattern_list", "column := s, patterns := ('^a', 'b$')", series("s", ["'ax'", "'xb'"]),
     series("s", ["'ax'", "'xx'"]), "s=xx"),
    ("not_match_regex_pattern_list", "column := s, patterns := ('^a', 'b$')", series("s", ["'xx'"]),
     series("s", ["'xx'", "'xb'"]), "s=xb"),
    ("match_like_pattern_list", "column := s, patterns := ('a%', '%b')", series("s", ["'ax'", "'xb'"]),
     series("s", ["'ax'", "'xx'"]), "s=xx"),
    ("not_match_like_pattern_list", "column := s, patterns := ('a%', '%b')", series("s", ["'xx'"]),
     series("s", ["'xx'", "'ax'"]), "s=ax"),
    # 19 zeros and one 100: z = 95 / sqrt(500) = 4.2 > 3
    ("z_score", "column := a, threshold := 3", series("a", [1, 2, 3]), series("a", [0] * 19 + [100]), "a=100"),
    ("string_length_between", "column := s, min_v := 2, max_v := 3", series("s", ["'ab'", "'abc'"]),
     series("s", ["'ab'", "'abcd'"]), "s=abcd"),
    ("string_length_equal", "column := s, v := 2", series("s", ["'ab'"]), series("s", ["'ab'", "'abc'"]), "s=abc"),
    ("stddev_in_range", "column := a, min_v := 0, max_v := 1", series("a", [1, 2]), series("a", [1, 10]),
     "stddev_a=6.36"),
    ("mean_in_range", "column := a, min_v := 0, max_v := 5", series("a", [1, 2]), series("a", [10, 20]),
     "mean_a=15.0"),
    # SQLMesh's query does not bind on DuckDB (audit_builtins.c): test_kl_divergence_as_sqlmesh
    ("kl_divergence", "source_column := a, target_column := a, threshold := -1", None, None, None),
    # 2x2: x decides y (chi-square 20 > 3.841, df 1: dependent) / x independent of y (0)
    ("chi_square", "column_a := x, column_b := y, critical_value := 3.841",
     rows("x, y", *(["('a', 'a')"] * 10 + ["('b', 'b')"] * 10)),
     rows("x, y", *(["('a', 'a')", "('a', 'b')", "('b', 'a')", "('b', 'b')"] * 5)), "chi_square=0.0"),
]


def model(name, audits, query, kind="FULL"):
    return {f"models/t/{name}.sql": f"MODEL (name t.{name}, kind {kind}, audits ({audits}));\n{query}\n"}


def project(which, suffix=""):
    files = {}
    for name, args, good, bad, _ in CASES:
        query = good if which == "good" else bad
        if query is not None:
            files.update(model(name, f"{name}{suffix}({args})", query))
    return files


def test_all_29_builtins_are_sqlmesh_s():
    names = sorted(c[0] for c in CASES)
    assert len(names) == 29 and len(set(names)) == 29, names


def test_every_builtin_passes_good_rows():
    s = new_scratch("audits-builtin", project("good"))
    p = s.run("run", "--execution-time", T0, check=0)
    assert "non-blocking" not in p.stderr, p.stderr
    assert q(s, "SELECT status FROM _materia.runs") == [{"status": "ok"}]
    s.cleanup()


def test_every_builtin_fails_bad_rows_non_blocking_copies_warn():
    s = new_scratch("audits-builtin", project("bad", "_non_blocking"))
    p = s.run("run", "--execution-time", T0, check=0)
    for name, _, _, bad, shows in CASES:
        if bad is None:
            continue
        line = [l for l in p.stderr.splitlines() if f"model t.{name}, audit {name}_non_blocking(" in l]
        assert len(line) == 1 and "non-blocking audit failed" in line[0] and shows in line[0], (name, shows, p.stderr)
    run = q(s, "SELECT status, message FROM _materia.runs")[0]
    assert run["status"] == "ok" and run["message"].count("non-blocking audit failed") == 28, run
    # the models were promoted: a non-blocking failure blocks nothing
    assert q(s, "SELECT count(*) AS n FROM t.z_score") == [{"n": 20}]
    s.cleanup()


def test_blocking_builtins_fail_the_run():
    for name, args, good, bad, shows in CASES:
        if name not in ("not_null", "valid_email", "chi_square", "sequential_values"):
            continue
        s = new_scratch("audits-builtin", model(name, f"{name}({args})", bad))
        p = s.run("run", "--execution-time", T0, check=1)
        assert f"audit failed: model t.{name}, audit {name}(" in p.stderr and shows in p.stderr, p.stderr
        assert q(s, "SELECT status FROM _materia.runs") == [{"status": "audit_failed"}]
        s.cleanup()


def test_kl_divergence_as_sqlmesh():
    """kl_divergence is rendered as SQLMesh renders it, and DuckDB refuses that query as it
    refuses SQLMesh's: the audit cannot run, so the run fails (also non-blocking)."""
    s = new_scratch("audits-builtin", model("kl", "kl_divergence_non_blocking(source_column := a, "
                                            "target_column := a, threshold := 0.1)", series("a", [1, 2])))
    p = s.run("run", "--execution-time", T0, check=1)
    assert "t.kl: audit kl_divergence_non_blocking(source_column := a, target_column := a, threshold := 0.1) " \
        "could not run: Binder Error: Ambiguous reference to column name \"num_rows\"" in p.stderr, p.stderr
    s.cleanup()


def test_optional_arguments():
    """condition (every built-in but valid_http_method), inclusive := false, blocking."""
    files = {}
    files.update(model("cond", "not_null(columns := (a), condition := b > 0)", rows("a, b", "(NULL, 0)", "(1, 1)")))
    files.update(model("excl", "accepted_range(column := a, min_v := 0, max_v := 10, inclusive := false)",
                       series("a", [5])))
    s = new_scratch("audits-builtin", files)
    s.run("run", "--execution-time", T0, check=0)
    write_files(s, model("excl", "accepted_range(column := a, min_v := 0, max_v := 10, inclusive := false)",
                         series("a", [5, 10])))
    p = s.run("run", "--execution-time", T0, check=1)
    assert "audit accepted_range(column := a, min_v := 0, max_v := 10, inclusive := false): 1 bad rows: {a=10}" \
        in p.stderr, p.stderr
    s.cleanup()


def test_blocking_argument_and_property():
    custom = ("AUDIT (name no_negatives, blocking false);\nSELECT * FROM @this_model WHERE a < 0;\n\n"
              "AUDIT (name no_big);\nSELECT * FROM @this_model WHERE a > 100;\n")
    bad = series("a", [-1, 200])
    # the use site's blocking := false wins over the audit's (built-in, custom): warnings only
    files = {"audits/custom.sql": custom}
    files.update(model("m", "not_null(columns := (b), blocking := false), no_big(blocking := false), no_negatives",
                       rows("a, b", "(-1, NULL)", "(200, NULL)")))
    s = new_scratch("audits-builtin", files)
    p = s.run("run", "--execution-time", T0, check=0)
    for a in ("not_null(columns := (b), blocking := false)", "no_big(blocking := false)", "no_negatives"):
        assert f"non-blocking audit failed: model t.m, audit {a}:" in p.stderr, (a, p.stderr)
    # blocking := true wins over blocking false (custom) and over a _non_blocking copy
    write_files(s, model("m", "no_negatives(blocking := true)", bad))
    p = s.run("run", "--execution-time", T0, check=1)
    assert "audit failed: model t.m, audit no_negatives(blocking := true): 1 bad rows: {a=-1}" in p.stderr, p.stderr
    write_files(s, model("m", "accepted_range_non_blocking(column := a, min_v := 0, blocking := true)", bad))
    p = s.run("run", "--execution-time", T0, check=1)
    assert "audit failed: model t.m, audit accepted_range_non_blocking(" in p.stderr, p.stderr
    # anything but true/false is refused
    write_files(s, model("m", "no_big(blocking := 'maybe')", bad))
    p = s.run("run", "--execution-time", T0, check=1)
    assert "models/t/m.sql:1: audit no_big: expected blocking := true or false, not 'maybe'" in p.stderr, p.stderr
    s.cleanup()


def test_skip_true_is_not_run():
    files = {"audits/custom.sql": "AUDIT (name never, skip true);\nSELECT * FROM @this_model\n"}
    files.update(model("m", "never", series("a", [1])))
    s = new_scratch("audits-builtin", files)
    s.run("run", "--execution-time", T0, check=0)
    write_files(s, {"audits/custom.sql": "AUDIT (name never, skip false);\nSELECT * FROM @this_model\n"})
    write_files(s, model("m", "never", series("a", [2])))
    p = s.run("run", "--execution-time", T0, check=1)
    assert "audit never: 1 bad rows" in p.stderr, p.stderr
    s.cleanup()


def test_inline_audit_and_description():
    files = model("m", "small_a", series("a", [1, 5]))
    files["models/t/m.sql"] += ("\nAUDIT (name small_a, description 'a stays small', dialect duckdb, standalone false);\n"
                                "SELECT * FROM @this_model WHERE a > 3\n")
    s = new_scratch("audits-builtin", files)
    p = s.run("run", "--execution-time", T0, check=1)
    assert "audit small_a: 1 bad rows: {a=5}" in p.stderr, p.stderr
    s.cleanup()


def test_inline_audit_after_a_seed_header():
    """A SEED model has no query: an AUDIT block after its header is its own (sushi's
    waiter_names.sql), and runs on the seed's rows."""
    files = {"seeds/w.csv": "id,name\n1,ann\n2,\n",
             "models/t/w.sql": "MODEL (name t.w, kind SEED (path '../../seeds/w.csv'), audits (named));\n\n"
                               "AUDIT (name named);\nSELECT * FROM @this_model WHERE name IS NULL\n"}
    s = new_scratch("audits-builtin", files)
    p = s.run("run", "--execution-time", T0, check=1)
    assert "audit failed: model t.w, audit named: 1 bad rows: {id=2, name=NULL}" in p.stderr, p.stderr
    s.cleanup()


def test_audit_sees_the_processed_interval():
    """@start_ds / @end_ds in an incremental model's audit are the interval the run
    processed (SQLMesh renders audits with the evaluated start and end), not 1970-01-01."""
    ev = ("MODEL (name t.ev, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), start '2024-01-01',\n"
          "       audits (in_window));\n"
          "SELECT d::DATE AS ds FROM range(@start_ds::DATE, @end_ds::DATE + 1, INTERVAL 1 DAY) AS r(d)\n")
    files = {"models/t/ev.sql": ev,
             "audits/w.sql": "AUDIT (name in_window);\n"
                             "SELECT * FROM @this_model WHERE ds < @start_ds OR ds > @end_ds "
                             "OR @start_ds < '2024-01-01' OR @end_ds > '2024-01-03'\n"}
    s = new_scratch("audits-builtin", files)
    s.run("run", "--execution-time", "2024-01-04 00:00", check=0)
    assert q(s, "SELECT min(ds)::VARCHAR AS lo, max(ds)::VARCHAR AS hi FROM t.ev") == [
        {"lo": "2024-01-01", "hi": "2024-01-03"}]
    # a refresh renders the new interval: an audit only it fails proves the times it saw
    write_files(s, {"audits/w.sql": "AUDIT (name in_window);\n"
                                    "SELECT @start_ds AS s, @end_ds AS e WHERE @start_ds = '2024-01-04'\n"})
    p = s.run("run", "--execution-time", "2024-01-05 00:00", check=1)
    assert "audit in_window: 1 bad rows: {s=2024-01-04, e=2024-01-04}" in p.stderr, p.stderr
    s.cleanup()


def test_standalone_audit_runs_after_the_models_and_never_blocks():
    """SQLMesh's StandaloneAudit: its own node after the tables it reads, never blocking.
    materia runs it after the run's models (their views already swapped) and warns."""
    files = {"audits/price.sql": "AUDIT (\n  name price_above_zero,\n  description 'prices are positive',\n"
                                 "  standalone true\n);\nSELECT * FROM t.items WHERE price <= 0\n"}
    files.update(model("items", "not_null(columns := (price))", rows("id, price", "(1, 2.5)", "(2, 3.0)")))
    s = new_scratch("audits-builtin", files)
    p = s.run("run", "--execution-time", T0, check=0)
    assert "standalone audit" not in p.stderr, p.stderr
    # the rows it reads are the ones this run built: a bad price warns, the run is ok
    write_files(s, model("items", "not_null(columns := (price))", rows("id, price", "(1, 2.5)", "(2, -1.0)")))
    p = s.run("run", "--execution-time", T0, check=0)
    assert "non-blocking audit failed: standalone audit price_above_zero: 1 bad rows: {id=2, price=-1.0}" \
        in p.stderr, p.stderr
    run = q(s, "SELECT status, message FROM _materia.runs ORDER BY started_at DESC LIMIT 1")[0]
    assert run["status"] == "ok" and "standalone audit price_above_zero" in run["message"], run
    assert q(s, "SELECT count(*) AS n FROM t.items WHERE price < 0") == [{"n": 1}]
    # it is no model's audit (SQLMesh keeps standalone audits out of the models' audits)
    write_files(s, model("items", "price_above_zero", rows("id, price", "(1, 2.5)")))
    p = s.run("run", "--execution-time", T0, check=1)
    assert "models/t/items.sql:1: unknown audit 'price_above_zero'" in p.stderr, p.stderr
    s.cleanup()
    # in a model file an AUDIT block is the model's own: standalone there is refused
    files = model("m", "a", series("a", [1]))
    files["models/t/m.sql"] += "\nAUDIT (name a, standalone true);\nSELECT 1\n"
    s = new_scratch("audits-builtin", files)
    p = s.run("run", "--execution-time", T0, check=1)
    assert "models/t/m.sql:4: standalone is not supported by materia in a model file" in p.stderr, p.stderr
    s.cleanup()


def test_refused_audit_properties():
    cases = [
        ("AUDIT (name a, standalone true, blocking true);\nSELECT 1\n",
         "audits/x.sql:1: Standalone audits cannot be blocking: 'a'"),
        ("AUDIT (name a, standalone true, cron '@hourly');\nSELECT 1\n",
         "audits/x.sql:1: cron is not supported by materia on an audit: a standalone audit runs after the models"),
        ("AUDIT (name a, dialect bigquery);\nSELECT 1\n",
         "audits/x.sql:1: dialect bigquery is not supported by materia: audits run as DuckDB SQL"),
        ("AUDIT (name a, blocking maybe);\nSELECT 1\n", "audits/x.sql:1: expected blocking true or false"),
        ("AUDIT (name a, skip 1);\nSELECT 1\n", "audits/x.sql:1: expected skip true or false"),
        ("\nAUDIT (name a,\n  owner me);\nSELECT 1\n", "audits/x.sql:3: owner is not supported by materia on an audit"),
        ("\nAUDIT (name a,\n  grain x);\nSELECT 1\n", "audits/x.sql:3: unknown audit property 'grain'"),
    ]
    for text, want in cases:
        s = new_scratch("audits-builtin", {"audits/x.sql": text, "models/t/m.sql": "MODEL (name t.m);\nSELECT 1 AS a\n"})
        p = s.run("run", "--execution-time", T0, check=1)
        assert want in p.stderr, (want, p.stderr)
        s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_all_29_builtins_are_sqlmesh_s, test_every_builtin_passes_good_rows,
          test_every_builtin_fails_bad_rows_non_blocking_copies_warn, test_blocking_builtins_fail_the_run,
          test_kl_divergence_as_sqlmesh, test_optional_arguments, test_blocking_argument_and_property, test_skip_true_is_not_run,
          test_inline_audit_and_description, test_inline_audit_after_a_seed_header,
          test_audit_sees_the_processed_interval,
          test_standalone_audit_runs_after_the_models_and_never_blocks, test_refused_audit_properties])
