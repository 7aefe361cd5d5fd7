"""tproject.py — tiny model projects for the transform tests, written into a Scratch dir.

A project is a dict {relative path: text}; write_project() puts it under scratch/project and
points MATERIA_PROJECT_DIR at it (the landing dir stays scratch/landing)."""
import os

from harness import Scratch, first_word_by_model


def new_scratch(name, files):
    s = Scratch(name)
    s.project = os.path.join(s.dir, "project")
    s.env["MATERIA_PROJECT_DIR"] = s.project
    write_files(s, files)
    os.makedirs(s.landing, exist_ok=True)
    return s


def write_files(s, files):
    for rel, text in files.items():
        p = os.path.join(s.project, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)


def land(s, rel, text):
    p = os.path.join(s.landing, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


def q(s, sql):
    return s.sql(s.lakehouse, sql)


actions = first_word_by_model  # {model: action} from `materia run`
reasons = first_word_by_model  # {model: reason} from `materia plan`


# A small chain: seed + landed CSV -> raw (FULL) -> staging (VIEW) -> serving (FULL), plus a
# standalone model, so "touch one, rebuild it and its descendants only" is observable.
BASIC = {
    "seeds/countries.csv": "code,name\nBR,Brazil\nVN,Vietnam\nCO,Colombia\n",
    "models/seeds/countries.sql":
        "MODEL (name seeds.countries, kind SEED (path '../../seeds/countries.csv'),\n"
        "       columns (code VARCHAR, name VARCHAR));\n",
    "models/raw/production.sql":
        "MODEL (\n  name raw.production,\n  kind FULL,\n  description 'landed production rows'\n);\n"
        "SELECT code, year, qty FROM read_csv(@VAR('landing_dir') || '/prod/*.csv',\n"
        "  columns = {'code': 'VARCHAR', 'year': 'INTEGER', 'qty': 'DOUBLE'}, header = true)\n",
    "models/staging/production.sql":
        "MODEL (name staging.production, kind VIEW);\n"
        "WITH p AS (SELECT * FROM raw.production)\n"
        "SELECT p.code, c.name, p.year, p.qty FROM p JOIN seeds.countries c USING (code)\n",
    "models/serving/totals.sql":
        "MODEL (\n  name serving.totals,\n  kind FULL,\n  cron '@daily',\n  grain (code),\n"
        "  audits (not_null(columns := (code, total)), unique_values(columns := (code)))\n);\n"
        "SELECT code, name, sum(qty) AS total FROM staging.production GROUP BY ALL ORDER BY code\n",
    "models/other/standalone.sql":
        "MODEL (name other.standalone, kind FULL);\nSELECT 42 AS answer\n",
}

PROD_CSV = "code,year,qty\nBR,2018,52100\nBR,2019,60000\nVN,2018,29500\n"
