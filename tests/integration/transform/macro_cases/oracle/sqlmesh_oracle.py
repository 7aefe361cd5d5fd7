"""sqlmesh_oracle.py — renders one conformance case with SQLMesh's own MacroEvaluator, dialect
duckdb: how the "expected" of each case in macro_cases/ was made (see gen_cases.py).

Needs SQLMesh's and sqlglot's sources, not installed packages: $SQLMESH_PY names a folder
holding sqlmesh/ (TobikoData/sqlmesh at 0f192c93ef00f5d0974894c3240e8a24fd09050c) and
sqlglot/ (tobymao/sqlglot at v30.2.1, the version sqlmesh's pyproject.toml pins), e.g.
    git -C SQLMESH_REPO archive 0f192c93 sqlmesh | tar x -C DIR
    git -C SQLGLOT_REPO archive v30.2.1 sqlglot | tar x -C DIR
Only the macro evaluator is loaded: sqlmesh/__init__.py (the whole project layer) is
skipped, and the few third-party modules on its import path that are not part of Python
(dateparser, astor, pydantic, humanize …) are replaced by stand-ins that the macro
evaluator never calls for these cases (dates here are ISO strings).

The set-up follows QueryRenderer._render (sqlmesh/core/renderer.py): date_dict(execution,
start, inclusive end) in the evaluator's locals, project variables under __sqlmesh__vars__
(@gateway is the "gateway" variable), this_model as a table, model_kind_name in the locals,
the @DEF statements evaluated first, every other statement transformed and written with
.sql(dialect="duckdb"). That is the macro expansion, before SQLMesh's optimizer.
"""
import os
import re
import sys
import types
from datetime import datetime, timedelta

ROOT = os.environ.get("SQLMESH_PY")
if not ROOT or not os.path.isdir(os.path.join(ROOT, "sqlmesh")):
    sys.exit("set SQLMESH_PY to a folder holding sqlmesh/ and sqlglot/ sources (see the docstring)")
sys.path.insert(0, ROOT)
_version = os.path.join(ROOT, "sqlglot", "_version.py")
if not os.path.exists(_version):
    with open(_version, "w") as f:
        f.write('__version__ = version = "30.2.1"\n__version_tuple__ = version_tuple = (30, 2, 1)\n')


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def _iso_parse(s, settings=None):
    try:
        return datetime.fromisoformat(s.strip())
    except ValueError:
        return None


class _Freshness:
    def get_kwargs(self, s):
        return {}


class _Anything:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __getattr__(self, name):
        return lambda *a, **k: None


_fresh = _module("dateparser.freshness_date_parser", _UNITS="year|month|week|day|hour|minute|second",
                 PATTERN=re.compile("x"), freshness_date_parser=_Freshness())
_module("dateparser", parse=_iso_parse, freshness_date_parser=_fresh)
_module("astor", to_source=lambda *a, **k: "")
_module("sqlmesh", __path__=[os.path.join(ROOT, "sqlmesh")])  # skip sqlmesh/__init__.py
_module("sqlmesh.utils.pydantic", PydanticModel=_Anything)
_module("sqlmesh.core.context", ExecutionContext=_Anything)
_module("sqlmesh.core.console", get_console=lambda: _Anything())

from sqlglot import exp  # noqa: E402
from sqlglot.schema import MappingSchema  # noqa: E402
from sqlmesh.core import constants as c  # noqa: E402
from sqlmesh.core import dialect as d  # noqa: E402

d.extend_sqlglot()
from sqlmesh.core.macros import MacroEvaluator, RuntimeStage  # noqa: E402
from sqlmesh.utils.date import date_dict, to_datetime  # noqa: E402


def render(case):
    """The rendered statement(s) of one case (a dict in the macro_cases format), joined by
    ";\\n"; raises what SQLMesh raises."""
    schema = MappingSchema(case["schema"], dialect="duckdb") if case.get("schema") else None
    stage = RuntimeStage.EVALUATING if case.get("this_model") else RuntimeStage.LOADING
    ev = MacroEvaluator(dialect="duckdb", schema=schema, runtime_stage=stage)
    start = to_datetime(case.get("start", "1970-01-01"))
    # our end is exclusive; SQLMesh's make_inclusive ends 1 microsecond before it
    end = to_datetime(case.get("end", "1970-01-02")) - timedelta(microseconds=1)
    execution = to_datetime(case.get("execution_time", "1970-01-01"))
    ev.locals.update(date_dict(execution, start, end))
    variables = {k.lower(): v for k, v in (case.get("vars") or {}).items()}
    if case.get("gateway"):
        variables[c.GATEWAY] = case["gateway"]
    if variables:
        ev.locals[c.SQLMESH_VARS] = variables
    if case.get("this_model"):
        ev.locals["this_model"] = exp.to_table(case["this_model"], dialect="duckdb")
    if case.get("model_kind_name"):
        ev.locals["model_kind_name"] = case["model_kind_name"]
    out = []
    for stmt in d.parse(case["sql"], default_dialect="duckdb"):
        if isinstance(stmt, d.MacroDef):
            ev.evaluate(stmt)
            continue
        res = ev.transform(stmt)
        for r in (res if isinstance(res, list) else [res]):
            if r is not None:
                out.append(r.sql(dialect="duckdb"))
    return ";\n".join(out)
