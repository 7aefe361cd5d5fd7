"""SQLMesh's scheduling properties (src/transform/cron.c, schedule.c): cron expressions,
cron_tz, interval_unit, start and end in to_datetime's forms, lookback, allow_partials, and
the same in config.yaml's model_defaults. Each case names the SQLMesh test (or code) whose
behaviour it checks; the reference is SQLMesh's code (sqlmesh/core/node.py,
sqlmesh/core/snapshot/definition.py missing_intervals, sqlmesh/utils/date.py).

`materia run`/`plan` at an execution time behave as `sqlmesh run` at that time: the
intervals are Snapshot.missing_intervals(start=model start, end=execution time). One
materia rule stays on top (test_incremental.py): a new version, or a model whose input
files or parents changed, also processes the current partial interval up to the execution
time."""
import re

from tproject import actions, land, new_scratch, q, reasons, write_files

CSV = ("SELECT id, ts FROM read_csv(@VAR('landing_dir') || '/ev/*.csv', columns = {'id': 'INTEGER', "
       "'ts': 'TIMESTAMP'}, header = true)\nWHERE ts BETWEEN @start_ts AND @end_ts\n")


def incr(props, query=CSV, kind="INCREMENTAL_BY_TIME_RANGE (time_column ts)"):
    return {"models/raw/events.sql": f"MODEL (\n  name raw.events,\n  kind {kind},\n{props}\n);\n{query}"}


def todo(stdout, model="raw.events"):
    """the [start, end) ranges `materia plan` prints for model ("nothing" when none)"""
    for line in stdout.splitlines():
        if line.startswith("  ") and model in line.split():
            return re.findall(r"\[([0-9: -]+), ([0-9: -]+)\)", line)
    return "nothing"


def plan(s, at):
    p = s.run("plan", "--execution-time", at, check=0)
    return p.stdout


def nothing(stdout):
    """`materia plan` found nothing to do"""
    return "\nnothing to do (" in stdout


def run(s, at):
    return s.run("run", "--execution-time", at, check=0).stdout


def ids(s, table="raw.events"):
    return [r["id"] for r in q(s, f"SELECT id FROM {table} ORDER BY id")]


def refused(files, want, at="2024-01-10 12:00"):
    s = new_scratch("transform-sched", files)
    p = s.run("plan", "--execution-time", at)
    assert p.returncode == 1 and want in p.stderr, (p.returncode, p.stderr)
    s.cleanup()


# ---- cron ----------------------------------------------------------------------------------

def test_cron_expression_bounds_the_intervals():
    # tests/core/test_snapshot.py test_model_custom_cron: cron '0 5 * * *' (unit day): the
    # day 2023-01-29 is due at 2023-01-30 05:00, not at 04:59 (node.cron_floor(execution))
    s = new_scratch("transform-sched", incr("  cron '0 5 * * *',\n  start '2023-01-01'"))
    land(s, "ev/a.csv", "id,ts\n1,2023-01-28 10:00\n2,2023-01-29 10:00\n")
    run(s, "2023-01-29 04:00")
    assert ids(s) == [1], ids(s)  # the run's partial interval ends at 04:00
    assert nothing(plan(s, "2023-01-30 04:59"))
    assert todo(plan(s, "2023-01-30 05:00")) == [("2023-01-29 00:00:00", "2023-01-30 00:00:00")]
    run(s, "2023-01-30 05:01")
    assert ids(s) == [1, 2], ids(s)
    s.cleanup()


def test_cron_steps_lists_and_weekday_names():
    # croniter fields (node.py croniter): '*/15' gives quarter-hour intervals
    # (IntervalUnit.from_cron); 'mon-fri' skips the weekend for a FULL model
    s = new_scratch("transform-sched", {
        **incr("  cron '*/15 * * * *',\n  start '2024-01-01'"),
        "models/raw/weekdays.sql": "MODEL (name raw.weekdays, kind FULL, cron '0 6 * * mon-fri');\nSELECT 1 AS x\n"})
    land(s, "ev/a.csv", "id,ts\n1,2024-01-05 06:50\n2,2024-01-05 07:10\n")
    run(s, "2024-01-05 07:07")  # a Friday
    assert ids(s) == [1], ids(s)
    assert nothing(plan(s, "2024-01-05 07:14"))
    assert todo(plan(s, "2024-01-05 07:15")) == [("2024-01-05 07:00:00", "2024-01-05 07:15:00")]
    run(s, "2024-01-05 07:15")
    assert ids(s) == [1, 2], ids(s)
    p = plan(s, "2024-01-06 07:00")  # Saturday: the FULL model is not due
    assert reasons(p)["raw.weekdays"] == "unchanged", p
    p = plan(s, "2024-01-08 06:00")  # Monday 06:00
    assert reasons(p)["raw.weekdays"] == "due", p
    s.cleanup()


def test_cron_tz_runs_on_the_zones_clock():
    # node.py croniter(tz=cron_tz); tests/core/test_model.py cron_tz 'America/Los_Angeles':
    # '@daily' in New York ticks at 05:00 UTC in January
    s = new_scratch("transform-sched", incr("  cron '@daily',\n  cron_tz 'America/New_York',\n  start '2024-01-01'"))
    land(s, "ev/a.csv", "id,ts\n1,2024-01-02 10:00\n2,2024-01-03 10:00\n")
    run(s, "2024-01-03 01:00")
    assert ids(s) == [1], ids(s)  # New York's 2024-01-02 has not ended yet: no partial data of 01-03
    assert nothing(plan(s, "2024-01-04 04:59"))
    assert todo(plan(s, "2024-01-04 05:00")) == [("2024-01-03 00:00:00", "2024-01-04 00:00:00")]
    run(s, "2024-01-04 05:00")
    assert ids(s) == [1, 2], ids(s)
    s.cleanup()


def test_cron_refusals():
    # node.py cron validator (croniter), IntervalUnit.from_cron, _cron_tz_validator
    refused(incr("  cron '0 0 * * 5#3'"), "models/raw/events.sql:4: cron syntax '#' is not supported by materia")
    refused(incr("  cron '0 0 * * * *'"), "models/raw/events.sql:4: cron seconds and year fields are not supported "
            "by materia")
    refused(incr("  cron '61 * * * *'"), "models/raw/events.sql:4: Invalid cron expression '61 * * * *'")
    refused(incr("  cron '* * * * *'"), "models/raw/events.sql:1: Invalid cron '* * * * *': must run at a "
            "frequency of 5 minutes or slower")
    refused(incr("  cron_tz 'Mars/Olympus_Mons'"), "models/raw/events.sql:1: cron_tz: no IANA time zone "
            "'Mars/Olympus_Mons'")


# ---- interval_unit -------------------------------------------------------------------------

def test_interval_unit_written_and_derived():
    # tests/core/test_snapshot.py test_model_custom_interval_unit: cron '0 5 * * *' with
    # interval_unit hour has hourly intervals up to the cron's last tick
    s = new_scratch("transform-sched", incr("  cron '0 5 * * *',\n  interval_unit hour,\n  start '2023-01-01'"))
    land(s, "ev/a.csv", "id,ts\n1,2023-01-28 10:00\n")
    run(s, "2023-01-29 06:00")
    p = plan(s, "2023-01-30 04:59")
    assert nothing(p), p
    assert todo(plan(s, "2023-01-30 05:30")) == [("2023-01-29 06:00:00", "2023-01-30 05:00:00")]
    s.cleanup()
    # IntervalUnit.from_cron (node.py): '@hourly' → hour, '0,30 * * * *' → half_hour,
    # '@weekly' → day (there is no week unit; croniter's @weekly ticks on Sunday)
    for cron, due in (("@hourly", ("2024-01-03 10:00:00", "2024-01-08 00:00:00")),
                      ("0,30 * * * *", ("2024-01-03 10:30:00", "2024-01-08 00:00:00")),
                      ("@weekly", ("2024-01-03 00:00:00", "2024-01-07 00:00:00"))):
        s = new_scratch("transform-sched", incr(f"  cron '{cron}',\n  start '2024-01-01'"))
        land(s, "ev/a.csv", "id,ts\n1,2024-01-01 10:00\n")
        run(s, "2024-01-03 10:40")
        got = todo(plan(s, "2024-01-08 00:00"))
        assert got == [due], (cron, got)
        s.cleanup()


def test_interval_unit_refusals():
    # tests/core/test_model.py test_interval_unit_larger_than_cron_period (node.py
    # _node_root_validator), and IntervalUnit's values
    refused(incr("  cron '@hourly',\n  interval_unit day"), "models/raw/events.sql:1: Cron '@hourly' cannot be more "
            "frequent than interval unit 'day'. If this is intentional, set allow_partials to True.")
    refused(incr("  interval_unit week"), "models/raw/events.sql:4: interval_unit 'week': expected year, month, day, "
            "hour, half_hour, quarter_hour or five_minute")
    # with allow_partials the larger unit is accepted
    s = new_scratch("transform-sched", incr("  cron '@hourly',\n  interval_unit day,\n  allow_partials true"))
    assert s.run("plan", "--execution-time", "2024-01-10 12:00").returncode == 0
    s.cleanup()


# ---- start and end ---------------------------------------------------------------------------

def test_start_in_every_to_datetime_form():
    # tests/utils/test_date.py test_to_datetime / test_to_datetime_with_expressions; the
    # start is floored to the interval (snapshot/definition.py inclusive_exclusive)
    for start, first in (("'2 days ago'", "2024-01-08 00:00:00"), ("'yesterday'", "2024-01-09 00:00:00"),
                         ("'36 hours ago'", "2024-01-09 00:00:00"), ("1704153600000", "2024-01-02 00:00:00"),
                         ("'20240103'", "2024-01-03 00:00:00"), ("'2024-01-04T05:00:00+05:00'", "2024-01-04 00:00:00"),
                         ("'2024-01-05 18:00'", "2024-01-05 00:00:00"), ("'2024-01-06'", "2024-01-06 00:00:00")):
        s = new_scratch("transform-sched", incr(f"  start {start}"))
        got = todo(plan(s, "2024-01-10 12:00"))
        assert got == [(first, "2024-01-10 12:00:00")], (start, got)
        s.cleanup()


def test_start_less_than_one_interval_before_a_run_has_nothing_missing():
    # snapshot/definition.py Snapshot.missing_intervals: "If the amount of time being checked
    # is less than the size of a single interval ... return []" — only the new version's
    # partial interval (materia's rule) is processed
    s = new_scratch("transform-sched", incr("  start '2024-01-09 18:00'"))
    land(s, "ev/a.csv", "id,ts\n1,2024-01-09 19:00\n2,2024-01-10 08:00\n")
    run(s, "2024-01-10 12:00")
    assert ids(s) == [1, 2], ids(s)
    assert nothing(plan(s, "2024-01-10 18:00"))
    assert todo(plan(s, "2024-01-11 00:00")) == [("2024-01-10 00:00:00", "2024-01-11 00:00:00")]
    s.cleanup()


def test_no_start_is_inferred_as_sqlmesh_does():
    # snapshot/definition.py start_date (tests/core/test_snapshot.py test_earliest_start_date:
    # sushi.waiter_names, a seed with no start, starts "yesterday"): a model with no start
    # starts at its model parents' earliest start; with none, at the cron's tick before the
    # floor of the end (the execution time) — not in 1970
    child = ("MODEL (\n  name raw.child,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column ts)\n);\n"
             "SELECT id, ts FROM raw.events WHERE ts BETWEEN @start_ts AND @end_ts\n")
    s = new_scratch("transform-sched", {**incr("  audits (not_null(columns := (id)))"), "models/raw/child.sql": child})
    land(s, "ev/a.csv", "id,ts\n1,2024-01-02 10:00\n2,2024-01-09 10:00\n3,2024-01-10 08:00\n")
    p = plan(s, "2024-01-10 12:00")
    assert todo(p) == [("2024-01-09 00:00:00", "2024-01-10 12:00:00")], p
    assert todo(p, "raw.child") == [("2024-01-09 00:00:00", "2024-01-10 12:00:00")], p
    run(s, "2024-01-10 12:00")
    assert ids(s) == [2, 3] and ids(s, "raw.child") == [2, 3], (ids(s), ids(s, "raw.child"))
    s.cleanup()
    # a parent's start is inherited; of two parents, the earlier start
    other = ("MODEL (\n  name raw.other,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column ts),\n  start '2024-01-05'\n);\n"
             "SELECT 1 AS id, TIMESTAMP '2024-01-06 00:00' AS ts WHERE ts BETWEEN @start_ts AND @end_ts\n")
    both = child.replace("FROM raw.events", "FROM (SELECT id, ts FROM raw.events UNION ALL SELECT id, ts FROM raw.other)")
    s = new_scratch("transform-sched", {**incr("  start '2024-01-07'"), "models/raw/other.sql": other,
                                        "models/raw/child.sql": child, "models/raw/both.sql":
                                        both.replace("raw.child", "raw.both")})
    p = plan(s, "2024-01-10 12:00")
    assert todo(p, "raw.child") == [("2024-01-07 00:00:00", "2024-01-10 12:00:00")], p
    assert todo(p, "raw.both") == [("2024-01-05 00:00:00", "2024-01-10 12:00:00")], p
    s.cleanup()
    # the cron's own tick: hourly, the hour before the current one
    s = new_scratch("transform-sched", incr("  cron '@hourly'"))
    assert todo(plan(s, "2024-01-10 12:30")) == [("2024-01-10 11:00:00", "2024-01-10 12:30:00")]
    s.cleanup()
    # a FULL model renders its inferred start too (@start_ds), relative to the execution time
    s = new_scratch("transform-sched", {"models/f.sql": "MODEL (name f.full, kind FULL);\n"
                                                         "SELECT @start_ds AS s, @end_ds AS e\n"})
    run(s, "2024-01-10 12:00")
    assert q(s, "SELECT s, e FROM f.full") == [{"s": "2024-01-09", "e": "2024-01-10"}], q(s, "SELECT s, e FROM f.full")
    s.cleanup()


def test_end_bounds_the_intervals():
    # tests/core/test_snapshot.py test_missing_intervals_node_start_end and
    # test_missing_intervals_past_end_date_with_lookback: a date end includes its day
    # (make_exclusive), nothing after it is ever processed
    rows = "id,ts\n1,2024-01-01 10:00\n2,2024-01-03 23:00\n3,2024-01-04 00:00\n4,2024-01-09 10:00\n"
    s = new_scratch("transform-sched", incr("  start '2024-01-01',\n  end '2024-01-03'"))
    land(s, "ev/a.csv", rows)
    assert todo(plan(s, "2024-01-10 12:00")) == [("2024-01-01 00:00:00", "2024-01-04 00:00:00")]
    run(s, "2024-01-10 12:00")
    assert ids(s) == [1, 2], ids(s)
    assert nothing(plan(s, "2024-01-20 12:00"))
    land(s, "ev/b.csv", "id,ts\n5,2024-01-12 10:00\n")  # new input: still nothing past the end
    p = plan(s, "2024-01-20 12:00")
    assert todo(p) == "nothing" or todo(p) == [], p
    s.cleanup()
    # a timestamp end: intervals that start before it (compute_missing_intervals' model_end_ts)
    s = new_scratch("transform-sched", incr("  start 1704067200000,\n  end '2024-01-03 12:00'"))
    land(s, "ev/a.csv", rows)
    assert todo(plan(s, "2024-01-10 12:00")) == [("2024-01-01 00:00:00", "2024-01-04 00:00:00")]
    s.cleanup()
    # an end still ahead: the run's own time bounds it
    s = new_scratch("transform-sched", incr("  start '2024-01-01',\n  end '2024-12-31'"))
    assert todo(plan(s, "2024-01-03 12:00")) == [("2024-01-01 00:00:00", "2024-01-03 12:00:00")]
    s.cleanup()
    # a FULL model with a past end is built once and never falls due again
    s = new_scratch("transform-sched", {"models/f.sql": "MODEL (name f.full, kind FULL, start '2024-01-01', "
                                                         "end '2024-01-03');\nSELECT 1 AS x\n"})
    run(s, "2024-01-10 12:00")
    assert nothing(plan(s, "2024-01-11 12:00"))
    s.cleanup()


def test_start_and_end_refusals():
    # node.py _date_validator and _node_root_validator
    refused(incr("  end '2024-01-03'"), "models/raw/events.sql:1: Must define a start date if an end date is defined.")
    refused(incr("  start '2024-01-05',\n  end '2024-01-03'"), "models/raw/events.sql:1: Start date / time "
            "(2024-01-05) can't be greater than end date / time (2024-01-03)")
    refused(incr("  start 'last tuesday'"), "models/raw/events.sql:4: 'last tuesday' needs to be time-like")
    refused(incr("  start '2024-01-01',\n  end 'whenever'"), "models/raw/events.sql:5: 'whenever' needs to be "
            "time-like")


# ---- lookback ----------------------------------------------------------------------------------

def test_lookback_reprocesses_late_rows():
    # tests/core/test_snapshot.py test_lookback: with lookback 2, a missing day also makes the
    # two days before it missing (compute_missing_intervals)
    s = new_scratch("transform-sched", incr("  start '2024-01-01'", kind="INCREMENTAL_BY_TIME_RANGE "
                                                                           "(time_column ts, lookback 2)"))
    land(s, "ev/a.csv", "id,ts\n1,2024-01-01 10:00\n2,2024-01-03 10:00\n")
    run(s, "2024-01-04 00:30")
    assert ids(s) == [1, 2], ids(s)
    land(s, "ev/late.csv", "id,ts\n3,2024-01-02 10:00\n")  # a late row for 01-02
    run(s, "2024-01-04 10:00")  # the day is not complete: only the partial interval runs
    assert ids(s) == [1, 2], ids(s)
    assert todo(plan(s, "2024-01-05 01:00")) == [("2024-01-02 00:00:00", "2024-01-05 00:00:00")]
    run(s, "2024-01-05 01:00")
    assert ids(s) == [1, 2, 3], ids(s)
    assert q(s, "SELECT count(*) AS n FROM raw.events") == [{"n": 3}]  # delete+insert: no duplicates
    s.cleanup()


def test_lookback_unique_key_and_model_end():
    # kind.py _IncrementalBy.lookback applies to INCREMENTAL_BY_UNIQUE_KEY too; with an end,
    # the lookback shrinks by the intervals between the end and the run's end
    # (test_missing_intervals_past_end_date_with_lookback)
    s = new_scratch("transform-sched", incr("  start '2024-01-01'", query="SELECT 1 AS id\n",
                                            kind="INCREMENTAL_BY_UNIQUE_KEY (unique_key id, lookback 3)"))
    run(s, "2024-01-04 12:00")
    assert todo(plan(s, "2024-01-05 00:00")) == [("2024-01-01 00:00:00", "2024-01-05 00:00:00")]
    s.cleanup()
    s = new_scratch("transform-sched", incr("  start '2023-01-01',\n  end '2023-01-05'",
                                            kind="INCREMENTAL_BY_TIME_RANGE (time_column ts, lookback 2)"))
    land(s, "ev/a.csv", "id,ts\n1,2023-01-02 10:00\n")
    run(s, "2023-01-05 12:00")  # processes 01-01 .. 01-05 12:00
    # 01-05 is the last day: missing, and lookback 2 takes 01-03 and 01-04 again
    assert todo(plan(s, "2023-01-06 00:00")) == [("2023-01-03 00:00:00", "2023-01-06 00:00:00")]
    s.cleanup()


def test_lookback_refusals():
    refused({"models/f.sql": "MODEL (name f.full, kind FULL (lookback 2));\nSELECT 1 AS x\n"},
            "models/f.sql:1: lookback is not supported by materia: only INCREMENTAL_BY_TIME_RANGE and "
            "INCREMENTAL_BY_UNIQUE_KEY take a lookback")
    refused(incr("  start '2024-01-01'", kind="INCREMENTAL_BY_TIME_RANGE (time_column ts, lookback -1)"),
            "expected lookback N (a number of intervals, 0 or more)")


# ---- allow_partials ---------------------------------------------------------------------------

def test_allow_partials_processes_the_cron_tick_partial_interval():
    # tests/core/test_snapshot.py test_missing_intervals_partial and
    # test_interval_unit_larger_than_cron_period: a day unit with an hourly cron and
    # allow_partials processes the day up to the last hourly tick, again at each tick
    s = new_scratch("transform-sched", incr("  cron '@hourly',\n  interval_unit day,\n  allow_partials true,\n"
                                            "  start '2024-01-01'"))
    land(s, "ev/a.csv", "id,ts\n1,2024-01-03 09:00\n")
    run(s, "2024-01-03 10:30")
    assert nothing(plan(s, "2024-01-03 10:45"))
    assert todo(plan(s, "2024-01-03 11:05")) == [("2024-01-03 00:00:00", "2024-01-03 11:00:00")]
    s.cleanup()


def test_allow_partials_with_a_daily_cron_changes_nothing():
    # Snapshot.missing_intervals: with a '@daily' cron the upper bound is the cron's floor,
    # midnight: allow_partials adds no partial interval, so a later run the same day has
    # nothing to do (the rule an earlier attempt broke: test_e2e's "nothing to do")
    s = new_scratch("transform-sched", incr("  allow_partials true,\n  start '2024-01-01'"))
    land(s, "ev/a.csv", "id,ts\n1,2024-01-03 09:00\n")
    run(s, "2024-01-03 10:30")
    assert run(s, "2024-01-03 10:30").startswith("nothing to do")
    assert run(s, "2024-01-03 20:00").startswith("nothing to do")
    assert todo(plan(s, "2024-01-04 00:10")) == [("2024-01-03 00:00:00", "2024-01-04 00:00:00")]
    s.cleanup()


def test_allow_partials_refusal():
    refused(incr("  allow_partials maybe"), "models/raw/events.sql:4: expected allow_partials true or false")


# ---- model_defaults ------------------------------------------------------------------------------

CONFIG = "gateways:\n  local:\n    connection:\n      type: duckdb\n      database: lake.duckdb\nmodel_defaults:\n"


def test_model_defaults_scheduling():
    # core/config/model.py ModelDefaultsConfig: cron, start, interval_unit, allow_partials
    from test_project_config import materia, project
    s = project({"config.yaml": CONFIG + "  dialect: duckdb\n  cron: '0 12 * * *'\n  start: 2 days ago\n"
                                         "  interval_unit: hour\n",
                 "models/e.sql": "MODEL (name raw.e, kind INCREMENTAL_BY_TIME_RANGE (time_column ts));\n"
                                 "SELECT 1 AS id, TIMESTAMP '2024-01-01' AS ts WHERE ts BETWEEN @start_ts AND @end_ts\n",
                 "models/own.sql": "MODEL (name raw.own, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), "
                                   "cron '@daily', interval_unit day, start '2024-01-09');\n"
                                   "SELECT 1 AS id, TIMESTAMP '2024-01-01' AS ts\n"})
    materia(s, "run", env={"MATERIA_EXECUTION_TIME": "2024-01-10 11:00"})
    p = materia(s, "plan", env={"MATERIA_EXECUTION_TIME": "2024-01-10 12:00"})
    # the cron ticks at 12:00: the hours since the first run are due; the model's own
    # properties win over the defaults (raw.own: daily, nothing due)
    assert todo(p.stdout, "raw.e") == [("2024-01-10 11:00:00", "2024-01-10 12:00:00")], p.stdout
    assert todo(p.stdout, "raw.own") == [], p.stdout
    s.cleanup()
    s = project({"config.yaml": CONFIG + "  cron: '@hourly'\n  interval_unit: day\n  allow_partials: true\n",
                 "models/e.sql": "MODEL (name raw.e, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), "
                                 "start '2024-01-01');\nSELECT TIMESTAMP '2024-01-01' AS ts\n"})
    materia(s, "run", env={"MATERIA_EXECUTION_TIME": "2024-01-03 10:30"})
    p = materia(s, "plan", env={"MATERIA_EXECUTION_TIME": "2024-01-03 11:05"})
    assert todo(p.stdout, "raw.e") == [("2024-01-03 00:00:00", "2024-01-03 11:00:00")], p.stdout
    s.cleanup()


def test_model_defaults_refusals():
    from test_project_config import refused as conf_refused
    model = {"models/e.sql": "MODEL (name raw.e, kind FULL);\nSELECT 1 AS x\n"}
    conf_refused({"config.yaml": CONFIG + "  interval_unit: week\n", **model},
                 "config.yaml (model_defaults.interval_unit):7: interval_unit 'week': expected year, month, day")
    conf_refused({"config.yaml": CONFIG + "  start: whenever\n", **model},
                 "config.yaml:7: model_defaults.start 'whenever' needs to be time-like")
    conf_refused({"config.yaml": CONFIG + "  cron: '@hourly'\n  interval_unit: day\n", **model},
                 "Cron '@hourly' cannot be more frequent than interval unit 'day'")
    conf_refused({"config.yaml": CONFIG + "  allow_partials: sometimes\n", **model},
                 "config.yaml (model_defaults.allow_partials):7: expected allow_partials true or false")


if __name__ == "__main__":
    from harness import main
    main([test_cron_expression_bounds_the_intervals, test_cron_steps_lists_and_weekday_names,
          test_cron_tz_runs_on_the_zones_clock, test_cron_refusals, test_interval_unit_written_and_derived,
          test_interval_unit_refusals, test_start_in_every_to_datetime_form,
          test_start_less_than_one_interval_before_a_run_has_nothing_missing,
          test_no_start_is_inferred_as_sqlmesh_does, test_end_bounds_the_intervals,
          test_start_and_end_refusals, test_lookback_reprocesses_late_rows, test_lookback_unique_key_and_model_end,
          test_lookback_refusals, test_allow_partials_processes_the_cron_tick_partial_interval,
          test_allow_partials_with_a_daily_cron_changes_nothing, test_allow_partials_refusal,
          test_model_defaults_scheduling, test_model_defaults_refusals])
