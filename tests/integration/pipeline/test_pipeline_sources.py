"""`pipeline run all` with every source (EXTRACT_SOURCES=all) on the bundled samples: COT is
landed by the pipeline, each source's extract on its own log line; and a failing source
(a COT_SOURCE_URL that names no file) does not stop PSD's data from being transformed and
served — the run still ends failed (exit 1, run log 'failed') and names the source."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import COT_SAMPLE_URL, COT_SAMPLE_YEARS, SAMPLE_ZIP, Scratch, main  # noqa: E402
from serving_fixture import read_snapshot  # noqa: E402


def every_source(s, **extra):
    s.env.update(EXTRACT_SOURCES="all", PSD_SOURCE_URL="file://" + SAMPLE_ZIP,
                 COT_SOURCE_URL=COT_SAMPLE_URL, COT_YEARS=COT_SAMPLE_YEARS)
    s.env.update(extra)


def steps(p):
    return [l for l in p.stdout.splitlines() if ": step " in l]


def landed(s, source):
    return sorted(p for p in s.tree("landing") if p.startswith(source + "/") and p.endswith(".csv.gzip"))


def test_pipeline_lands_cot_and_psd():
    s = Scratch("pipe-src")
    every_source(s)
    p = s.run("pipeline", "run", "extract", check=0)
    st = steps(p)
    assert len(st) == 1 and "step extract: ok, landed 7 releases (psd 1, cot 6)" in st[0], p.stdout
    assert "extract psd: ok, landed 1 of 1" in p.stdout, p.stdout
    assert "extract cot: ok, landed 6 of 6" in p.stdout, p.stdout
    for y in (2017, 2018, 2019, 2020, 2021, 2023):
        assert f"extract cot {y}: landed " in p.stdout, p.stdout
    assert len(landed(s, "cot")) == 6 and len(landed(s, "psd")) == 1, s.tree("landing")
    p = s.run("pipeline", "run", "extract", check=3)
    assert "step extract: nothing to do, every source unchanged" in steps(p)[0], p.stdout
    s.cleanup()


def test_failing_source_does_not_block_the_others():
    s = Scratch("pipe-src")
    bad = "file://" + s.dir + "/nowhere/fut_disagg_txt_{YYYY}.zip"
    every_source(s, COT_SOURCE_URL=bad, COT_YEARS="2023")
    p = s.run("pipeline", "run", "all", check=1)
    st = steps(p)
    assert len(st) == 3, p.stdout
    assert "step extract: failed for cot" in st[0] and "ERROR" in st[0], st
    assert "step transform: ok" in st[1] and "step export_serving: ok, published" in st[2], st
    assert "nowhere/fut_disagg_txt_2023.zip" in p.stdout, p.stdout
    assert landed(s, "psd") and not landed(s, "cot"), s.tree("landing")
    _, rec, act = read_snapshot(s)   # PSD's data is served
    assert rec == act and rec["coffee_balance"][0] > 0, rec
    runs = s.sql(s.lakehouse, "SELECT status, message FROM _materia.runs WHERE kind = 'pipeline'")
    assert len(runs) == 1 and runs[0]["status"] == "failed", runs
    assert "source cot failed" in runs[0]["message"] and "fut_disagg_txt_2023.zip" in runs[0]["message"], runs
    assert "finished: failed" in p.stdout.splitlines()[-1], p.stdout
    s.cleanup()


if __name__ == "__main__":
    main([test_pipeline_lands_cot_and_psd, test_failing_source_does_not_block_the_others])
