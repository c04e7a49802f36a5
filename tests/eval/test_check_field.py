"""A record's check keeps its on-disk name (`verdict`) while the code calls it a check: the run
directories committed under benchmarks/runs/ still read, summarise and recheck the same. The
fixture is three records of benchmarks/runs/heldout-pipeline, gzipped as committed runs are."""

import gzip
import json
from pathlib import Path

from eval.recheck import load_run
from eval.runstore import CHECK_FIELD, check_of
from eval.summary import summarize

RUN = Path(__file__).resolve().parent / "fixtures" / "heldout-pipeline"


def test_a_committed_run_reads_through_check_of():
    text = gzip.decompress((RUN / "records.jsonl.gz").read_bytes()).decode()
    raw = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(raw) == 3 and not (RUN / "records.jsonl").exists()  # only the gzipped file is read
    assert CHECK_FIELD == "verdict" and all(isinstance(r["verdict"], dict) for r in raw)
    assert all(isinstance(r.get("solver_verdict"), (str, type(None))) for r in raw)  # the agents' word stays apart
    run = load_run(RUN)
    assert [check_of(r) for r in run.records] == [r["verdict"] for r in raw]  # no eval.json there
    assert summarize(run.records)["passed"] == sum(bool(check_of(r).get("passed")) for r in run.records) == 2
    assert run.meta["mode"] == "pipeline" and not run.warnings
    assert check_of({}) == {}
