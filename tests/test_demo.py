"""The seeded demo world (datasets/county, written by pipelines/demo.py): determinism, contract
validity, and that the data really follow the model stated in the package docstring (checked
against the truth files)."""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from datasets import county as world
from models.config import load_reference
from models.period import Period
from pipelines.contract import GRADE_WORDS, RATER_GROUPS, REFERENCES, TABLES
from pipelines.demo import generate

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2025-12-31"
PERIOD_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUTH_FILES = ("cadre_effects.csv", "platform_effects.csv", "period_effects.csv", "task_effects.csv",
               "unit_task_effects.csv", "cadre_profiles.csv", "outcomes.csv", "anomalies.csv")


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def out(demo_batch) -> Path:
    """The session's demo batch (seed 7), generated once for every module that reads it."""
    folder, counts = demo_batch
    import json

    shapes = json.loads((folder / "units.geojson").read_text(encoding="utf-8"))["features"]
    assert counts == {**{name: len(read(folder, f"{name}.csv")) for name in world.OUTPUT_TABLES},
                      "unit_boundaries": len(shapes)}
    return folder


@pytest.fixture(scope="module")
def t(out) -> dict[str, list[dict[str, str]]]:
    return {name: read(out, f"{name}.csv") for name in world.OUTPUT_TABLES}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _month(s: str) -> int:
    return int(s[:4]) * 12 + int(s[5:7]) - 1


# --- determinism and shape -------------------------------------------------------------------

def test_same_seed_same_bytes_other_seed_differs(out, tmp_path):
    # another process with another hash seed: no output may depend on set or dict-hash order
    code = f"from pipelines.demo import generate; generate({str(tmp_path / 'again')!r}, seed=7)"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=env)
    generate(tmp_path / "other", seed=8)
    first, again, other = _files(out), _files(tmp_path / "again"), _files(tmp_path / "other")
    assert first.keys() == again.keys() == other.keys()
    assert [k for k in first if first[k] != again[k]] == []
    assert all(first[k] != other[k] for k in ("cadres.csv", "indicator_values.csv", "ratings.csv",
                                              "_truth/cadre_effects.csv"))


def test_row_counts(t, out):
    assert 80 <= len(t["units"]) <= 85
    assert 480 <= len(t["cadres"]) <= 560
    assert 580 <= len(t["tasks"]) <= 680
    assert 250 <= len(t["projects"]) <= 320
    assert 1150 <= len(t["enterprises"]) <= 1250
    types = defaultdict(int)
    for u in t["units"]:
        types[u["unit_type"]] += 1
    assert types == {"街道": 3, "镇": 6, "乡": 2, "平台": 1, "部门": 70}
    anomalies = read(out, "_truth/anomalies.csv")
    series = [a for a in anomalies if a["level"] == "series"]
    tasks = [a for a in anomalies if a["level"] == "task"]
    assert 10 <= len(series) <= 15 and 20 <= len(tasks) <= 30
    assert {a["kind"] for a in series} == {"level_shift", "spike", "fabricated", "divergence", "hard_divergence"}
    assert {a["kind"] for a in tasks} == {"lagging", "over_reported"}


def test_headers_are_the_contract(out):
    assert not (out / "indicators.csv").exists()
    for name in world.OUTPUT_TABLES:
        with open(out / f"{name}.csv", encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == TABLES[name].column_names, name


def test_columns_follow_the_contract_order(monkeypatch):
    """pipelines/demo.py writes the generator's columns in the contract's order and leaves a
    contract column the generator does not produce empty; an unknown column is an error."""
    from pipelines import demo as writer

    monkeypatch.setitem(writer.COLUMNS, "units", ("name", "unit_id", "unit_type"))
    header, rows = writer.contract_rows("units", [["玉城街道", "T01", "街道"]])
    produced = {"unit_id": "T01", "name": "玉城街道", "unit_type": "街道"}
    assert header == TABLES["units"].column_names and len(header) > len(produced)
    assert rows == [[produced.get(c, "") for c in header]]
    monkeypatch.setitem(writer.COLUMNS, "units", ("unit_id", "colour"))
    with pytest.raises(ValueError, match="colour"):
        writer.contract_rows("units", [["T01", "red"]])


def test_keys_unique(t):
    for name, rows in t.items():
        keys = [tuple(r[k] for k in TABLES[name].key) for r in rows]
        assert len(keys) == len(set(keys)), name


def test_references_resolve(t):
    for (table, col), (ref_table, ref_col) in REFERENCES.items():
        if table not in t:
            continue
        known = {r[ref_col] for r in t[ref_table]}
        for r in t[table]:
            values = r[col].split(";") if TABLES[table].column(col).kind == "list" else [r[col]]
            missing = [v for v in values if v and v not in known]
            assert not missing, (table, col, missing)


def test_canonical_formats_and_ranges(t):
    for name, rows in t.items():
        for col in TABLES[name].columns:
            for r in rows:
                v = r[col.name]
                if v == "":
                    assert not col.required, (name, col.name)
                    continue
                if col.kind == "period":
                    assert PERIOD_RE.match(v) and v[:4] <= "2025", (name, v)
                elif col.kind == "date":
                    assert DATE_RE.match(v) and v <= AS_OF, (name, col.name, v)
                elif col.kind == "bool":
                    assert v in ("true", "false")
                elif col.kind in ("number", "pct", "share", "int"):
                    x = float(v)
                    assert col.min is None or x >= col.min, (name, col.name, v)
                    assert col.max is None or x <= col.max, (name, col.name, v)
                elif col.kind == "score":
                    assert v in GRADE_WORDS or 0 <= float(v) <= 100
                if col.enum:
                    assert v in col.enum, (name, col.name, v)
    assert all(float(e["land_mu"]) > 0 for e in t["enterprises"])
    assert all(float(r[c]) >= 0 for r in t["enterprise_years"] for c in ("tax", "value_added"))
    for p in t["projects"]:
        stages = [p[s] for s in ("signed", "landed", "started", "producing", "at_capacity")]
        reached = [s for s in stages if s]
        assert reached == sorted(reached) and stages[: len(reached)] == reached, p
        assert 2000 <= float(p["agreed_investment"]) <= 500000


def test_assignments_terms_and_shares(t):
    by_cadre = defaultdict(list)
    for a in t["assignments"]:
        end = a["end"] or AS_OF
        assert end >= a["start"]
        assert a["start"].endswith("-01") and (a["end"] == "" or date.fromisoformat(a["end"]).day >= 28)
        by_cadre[a["cadre_id"]].append((a["start"], end))
    for spans in by_cadre.values():
        spans.sort()
        assert all(e1 < s2 for (_, e1), (s2, _) in zip(spans, spans[1:])), spans
    # Σ share per unit × month × indicator ≤ 1 (an empty list counts for every indicator), and
    # exactly 1 for a fully staffed town.
    codes = set(world.MODEL)
    totals = defaultdict(float)
    for a in t["assignments"]:
        first, last = _month(a["start"]), min(_month(a["end"] or AS_OF), _month(AS_OF))
        inds = a["indicators"].split(";") if a["indicators"] else codes
        for m in range(max(first, _month("2018-01")), last + 1):
            for k in inds:
                totals[(a["unit_id"], m, k)] += float(a["share"])
    assert max(totals.values()) <= 1 + 1e-9
    town = [v for (u, m, k), v in totals.items() if u == "T01" and m >= _month("2023-01")]
    assert sum(abs(v - 1) < 1e-9 for v in town) > 0.5 * len(town)


def test_rotation_connects_most_cadres_but_not_the_stayers(t, out):
    profiles = {r["cadre_id"]: r for r in read(out, "_truth/cadre_profiles.csv")}
    active = {a["cadre_id"] for a in t["assignments"] if (a["end"] or AS_OF) >= "2023-01-01"}
    parent: dict[str, str] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a in t["assignments"]:
        if a["cadre_id"] in active and (a["end"] or AS_OF) >= "2023-01-01":
            parent[find(a["cadre_id"])] = find("unit:" + a["unit_id"])
    sizes = defaultdict(int)
    for c in active:
        sizes[find(c)] += 1
    main = max(sizes, key=sizes.get)
    assert sizes[main] / len(active) >= 0.85
    for c in active:
        assert (profiles[c]["in_main_component"] == "true") == (find(c) == main)
    stayers = {c for c, p in profiles.items() if p["stayer"] == "true"}
    assert stayers and not any(find(c) == main for c in stayers & active)
    # their units are closed: nobody who served there served anywhere else
    units_of = defaultdict(set)
    for a in t["assignments"]:
        units_of[a["cadre_id"]].add(a["unit_id"])
    closed = set().union(*(units_of[c] for c in stayers))
    assert closed == {u["unit_id"] for u in t["units"] if u["name"] in world.ISOLATED_UNITS}
    for c, units in units_of.items():
        assert not (units & closed) or units <= closed, c
    # rotation really moves people between towns during 2023–2025
    moves = 0
    rows = sorted((a for a in t["assignments"]), key=lambda a: (a["cadre_id"], a["start"]))
    for a, b in zip(rows, rows[1:]):
        if a["cadre_id"] == b["cadre_id"] and b["start"] >= "2023-01-01" and a["unit_id"] != b["unit_id"] \
                and a["unit_id"][0] in "TP" and b["unit_id"][0] in "TP":
            moves += 1
    assert moves >= 15


# --- indicator values follow the stated model ------------------------------------------------

def test_periods_and_cumulative_series(t, out):
    spec = load_reference("indicators")["indicators"]
    series = defaultdict(list)
    for r in t["indicator_values"]:
        series[(r["unit_id"], r["indicator"])].append(r)
    for (unit, code), rows in series.items():
        freq, periods = spec[code]["frequency"], [r["period"] for r in rows]
        if freq == "month":
            assert not any(p.endswith("-01") for p in periods)
            assert len(periods) == 33
        elif freq == "quarter":
            assert all("-Q" in p for p in periods) and len(periods) == 12
        else:
            assert periods == ["2023", "2024", "2025"]
        if spec[code]["cumulative"] and spec[code]["unit"] != "%":
            for year in ("2023", "2024", "2025"):
                v = [float(r["value"]) for r in rows if r["period"].startswith(year)]
                assert all(b >= a for a, b in zip(v, v[1:])), (unit, code, year)
        targets = {r["period"][:4]: r["target"] for r in rows}
        assert all(r["target"] == targets[r["period"][:4]] != "" for r in rows)
    town_like = {u["unit_id"] for u in t["units"] if u["unit_type"] != "部门"}
    for code, d in spec.items():
        units = {u for (u, k) in series if k == code}
        if d["unit_types"] == ["部门"]:
            assert len(units) == 1 and next(iter(units)).startswith("D"), code
        else:
            assert units == town_like, code
    # realistic scales: county gpb_revenue ≈ 557,000 万元 in 2023, exports 3–4.5 ×10⁶
    by_code = defaultdict(float)
    for (u, k), rows in series.items():
        by_code[k] += sum(float(r["value"]) for r in rows if r["period"] == "2023-12")
    assert 520_000 < by_code["gpb_revenue"] < 600_000 and 3.0e6 < by_code["exports"] < 4.5e6
    verified = [r for r in t["indicator_values"] if r["verified_value"]]
    assert 0 < len(verified) < 0.1 * len(t["indicator_values"])
    assert any(r["verified_value"] != r["value"] for r in verified)


def _decumulate(code: str, rows: list[dict], spec: dict) -> dict[str, float]:
    """o_t = (W_t·YTD_t − W_{t−1}·YTD_{t−1}) / w_t as the module docstring states."""
    out, prev_w_ytd, big_w, year = {}, 0.0, 0.0, None
    rate = spec["unit"] == "%"
    for r in rows:
        if r["period"][:4] != year:
            year, prev_w_ytd, big_w = r["period"][:4], 0.0, 0.0
        value = float(r["value"])
        if not spec["cumulative"]:
            out[r["period"]] = value
            continue
        w = 2.0 if r["period"].endswith("-02") else 1.0
        if rate:
            big_w += w
            out[r["period"]] = (big_w * value - prev_w_ytd) / w
            prev_w_ytd = big_w * value
        else:
            out[r["period"]] = value - prev_w_ytd
            prev_w_ytd = value
    return out


def test_decumulation_recovers_the_stated_model(t, out):
    spec = load_reference("indicators")["indicators"]
    truth = {(r["unit_id"], r["indicator"], r["period"]): r for r in read(out, "_truth/outcomes.csv")}
    series = defaultdict(list)
    for r in t["indicator_values"]:
        series[(r["unit_id"], r["indicator"])].append(r)
    assert len(truth) == len(t["indicator_values"])
    for (unit, code), rows in series.items():
        for period, o in _decumulate(code, rows, spec[code]).items():
            tr = truth[(unit, code, period)]
            assert o == pytest.approx(float(tr["o"]), abs=1e-9), (unit, code, period)
            parts = sum(float(tr[c]) for c in ("psi", "tau", "cadre_part", "eps", "anomaly", "rounding"))
            assert parts == pytest.approx(o, rel=1e-9, abs=1e-7)
            # rounding only reflects the published decimals
            d = world.MODEL[code].dec
            assert abs(float(tr["rounding"])) <= 0.5 * 10 ** -d * 12 * 2 + 1e-6


def test_cadre_part_is_share_times_coverage_times_theta(t, out):
    """Recompute Σ_c s·theta from assignments.csv and the truth thetas, independently of the generator."""
    theta = {(r["cadre_id"], r["indicator"]): float(r["theta"]) for r in read(out, "_truth/cadre_effects.csv")}
    truth = read(out, "_truth/outcomes.csv")
    by_unit = defaultdict(list)
    for a in t["assignments"]:
        by_unit[a["unit_id"]].append(a)

    def bounds(period: str) -> tuple[date, date]:
        p = Period.parse(period)  # the demo's 'YYYY-02' covers January and February
        return (date(p.year, 1, 1) if p.kind == "month" and p.number == 2 else p.start), p.end

    nonzero = 0
    for r in truth:
        p0, p1 = bounds(r["period"])
        total = 0.0
        for a in by_unit[r["unit_id"]]:
            if a["indicators"] and r["indicator"] not in a["indicators"].split(";"):
                continue
            s0, s1 = date.fromisoformat(a["start"]), date.fromisoformat(a["end"] or AS_OF)
            days = (min(s1, p1) - max(s0, p0)).days + 1
            if days > 0:
                total += float(a["share"]) * days / ((p1 - p0).days + 1) * theta[(a["cadre_id"], r["indicator"])]
        assert total == pytest.approx(float(r["cadre_part"]), rel=1e-9, abs=1e-9), r
        nonzero += total != 0
    assert nonzero > 0.9 * len(truth)


def test_theta_carries_general_ability(out):
    profiles = {r["cadre_id"]: float(r["ability"]) for r in read(out, "_truth/cadre_profiles.csv")}
    rows = read(out, "_truth/cadre_effects.csv")
    for code in ("ind_va_growth", "fai_growth", "tax_per_mu"):
        th = np.array([float(r["theta"]) for r in rows if r["indicator"] == code])
        ab = np.array([profiles[r["cadre_id"]] for r in rows if r["indicator"] == code])
        sd = world.MODEL[code].sd_theta
        assert np.corrcoef(th, ab)[0, 1] == pytest.approx(world.RHO, abs=0.12)
        assert th.std() == pytest.approx(sd, rel=0.15)


def test_per_mu_series_match_the_enterprise_tables(t):
    land = {e["enterprise_id"]: (e["unit_id"], float(e["land_mu"]))
            for e in t["enterprises"] if e["above_scale"] == "true"}
    sums = defaultdict(lambda: [0.0, 0.0, 0.0])
    county = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in t["enterprise_years"]:
        if r["enterprise_id"] in land:
            unit, mu = land[r["enterprise_id"]]
            for acc in (sums[(unit, r["year"])], county[r["year"]]):
                acc[0] += float(r["tax"])
                acc[1] += float(r["value_added"])
                acc[2] += mu
    for r in t["indicator_values"]:
        if r["indicator"] in ("tax_per_mu", "va_per_mu"):
            tax, va, mu = sums[(r["unit_id"], r["period"])]
            expected = (tax if r["indicator"] == "tax_per_mu" else va) / mu
            assert float(r["value"]) == pytest.approx(expected, abs=0.0051)
    # calibrated on 黄岩 (亩均税收 24.1–26.0, 亩均增加值 132–136): the county mean over the years
    # sits in 24–30 / 130–150; single years vary with the county cycle tau
    tax_mu = [tax / mu for tax, _, mu in county.values()]
    va_mu = [va / mu for _, va, mu in county.values()]
    assert 24 <= np.mean(tax_mu) <= 30 and 130 <= np.mean(va_mu) <= 150
    assert all(20 <= x <= 35 for x in tax_mu) and all(115 <= x <= 165 for x in va_mu)


# --- tasks, ratings, projects ----------------------------------------------------------------

def test_tasks_and_progress(t, out):
    posts = defaultdict(list)
    for a in t["assignments"]:
        posts[(a["cadre_id"], a["unit_id"])].append((a["start"], a["end"] or AS_OF))
    for task in t["tasks"]:
        y = task["year"]
        assert task["due"].startswith(y) and 0.8 <= float(task["difficulty"]) <= 1.2
        for c in [task["lead_cadre_id"]] + [c for c in task["co_cadre_ids"].split(";") if c]:
            assert any(s <= f"{y}-12-31" and e >= f"{y}-01-01" for s, e in posts[(c, task["unit_id"])]), task
    progress = defaultdict(list)
    for r in t["task_progress"]:
        progress[r["task_id"]].append(r)
    due = {task["task_id"]: task["due"][:7] for task in t["tasks"]}
    assert progress.keys() == due.keys()
    for tid, rows in progress.items():
        assert rows[0]["period"] == tid[:4] + "-01"
        actual = [float(r["actual_pct"]) for r in rows]
        assert actual == sorted(actual)
        at_due = [r for r in rows if r["period"] == due[tid]]
        assert at_due and float(at_due[0]["planned_pct"]) == 100.0
    with_progress = [r for r in t["task_progress"] if float(r["actual_pct"]) > 0]
    assert sum(int(r["evidence_count"]) >= 1 for r in with_progress) > 0.9 * len(with_progress)
    assert sum(r["verified_pct"] == r["actual_pct"] for r in t["task_progress"]) > 0.85 * len(t["task_progress"])
    rows_of = {tid: rows for tid, rows in progress.items()}
    for a in read(out, "_truth/anomalies.csv"):
        if a["kind"] == "over_reported":
            rows = rows_of[a["task_id"]]
            assert any(r["verified_pct"] and float(r["actual_pct"]) - float(r["verified_pct"]) >= 15 for r in rows) \
                or any(r["actual_pct"] == "100.0" and r["evidence_count"] == "0" for r in rows), a
        elif a["kind"] == "lagging":
            rows = rows_of[a["task_id"]]
            gap = [float(r["actual_pct"]) - float(r["planned_pct"]) for r in rows]
            assert min(gap) <= -30, a


def test_ratings(t):
    groups = defaultdict(lambda: defaultdict(int))
    for r in t["ratings"]:
        groups[(r["period"], r["cadre_id"])][r["rater_group"]] += 1
        if r["rater_group"] in world.WORD_GROUPS:
            assert r["score"] in GRADE_WORDS
        else:
            assert 0 <= int(r["score"]) <= 100
    assert {r["period"] for r in t["ratings"]} == {"2023", "2024", "2025"}
    for counts in groups.values():
        assert set(counts) == set(RATER_GROUPS)
        for g, (lo, hi) in world.RATER_COUNTS.items():
            assert counts[g] <= hi and (counts[g] >= lo or g == "下级")
    assert any(c["下级"] < 5 for c in groups.values())


def test_projects_signed_by_the_investment_deputy(t):
    posts = defaultdict(list)
    for a in t["assignments"]:
        if "分管招商" in a["post"]:
            posts[(a["cadre_id"], a["unit_id"])].append((a["start"], a["end"] or AS_OF))
    for p in t["projects"]:
        assert "2021-01-01" <= p["signed"] <= AS_OF
        assert any(s <= p["signed"] <= e for s, e in posts[(p["cadre_id"], p["unit_id"])]), p


# --- truth documentation ---------------------------------------------------------------------

def test_truth_files_documented(out):
    readme = (out / "_truth" / "README.md").read_text(encoding="utf-8")
    assert "真值" in readme and "ground truth" in readme
    documented = dict(re.findall(r"^\| `([a-z_]+\.csv)` \| ([^|]+) \|", readme, flags=re.M))
    for name in TRUTH_FILES:
        with open(out / "_truth" / name, encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert [c.strip() for c in documented[name].split(",")] == header, name
    params = json.loads((out / "_truth" / "params.json").read_text(encoding="utf-8"))
    assert params["seed"] == 7 and params["scale"] == "county"
    assert set(params["series"]) == set(world.MODEL)


def test_docstring_states_the_parameters():
    lines = {ln.split()[0]: ln.split() for ln in world.__doc__.splitlines()
             if ln.strip() and ln.split()[0] in world.MODEL}
    for code, s in world.MODEL.items():
        cells = lines[code]
        assert cells[1] == s.form and float(cells[2]) == s.mu, code
        assert [float(x) if x != "-" else 0.0 for x in cells[3:10]] == \
            [s.sd_psi, s.sd_tau_year, s.sd_tau, s.sd_theta, s.sd_eps, s.trend, s.jf], code
        assert int(cells[10]) == s.dec, code


def test_docstring_states_the_rotation_rates():
    from datasets.county.params import ROTATION

    doc = world.__doc__
    table = doc[doc.index("(``params.ROTATION``"):].split("\n\n")[1].split()
    stated = dict(zip(table[::2], table[1::2]))
    assert len(stated) == 13
    for name, value in stated.items():
        assert float(value) == getattr(ROTATION, name), name


# --- acceptance: placement against the truth ---------------------------------------------------

def test_placed_sides_agree_with_the_truth(demo_world):
    """Issue 12 acceptance on the demo (seed 7, the session's ingested demo): the cadres the latest
    quarter of ``marts.quadrants`` places on a side of x, against the composite truth built from
    ``_truth/`` the way the composite estimate is built (datasets.attribution_world.composite_truth).
    Measured: 149 cadres compared, 17 placed, 12 on their true side (71 %; point-estimate
    placement 70 %), corr(x, truth) .58. 4 of the 5 wrong ones carry an injected anomaly: 3 a
    进度滞后 task, which the attribution keeps on purpose (real performance) while the truth's
    task effect leaves it out, 1 an over-reported task the cleaning did not catch; without
    injected anomalies 10 of 11 placed are right (91 %). The demo's truth is normal, so no
    cadre reaches 3 sd; 2 of the 6 at >= 2 sd are placed right. With and without the cleaning
    of flagged records and for seed 3: bench/results/placement.md."""
    import pandas as pd

    from datasets.attribution_world import composite_truth
    from models.config import load_reference
    from pipelines import db
    from pipelines.home import Home

    batch, home, _ = demo_world
    path = Home(home).current_path()
    quadrants = db.query(path, "SELECT cadre_id, period, x, x_status FROM marts.quadrants")
    contributions = db.query(path, "SELECT cadre_id, indicator, identified, component_id FROM marts.contributions")
    cadres = db.query(path, "SELECT cadre_id, role_type FROM raw.cadres")
    task = pd.read_csv(batch / "_truth" / "task_effects.csv")
    truth_rows = pd.concat([pd.read_csv(batch / "_truth" / "cadre_effects.csv"),
                            task.rename(columns={"effect": "theta"}).assign(indicator="task", exposure=1.0)])
    truth = composite_truth(contributions, truth_rows, cadres, load_reference("attribution")["composite_weights"])
    injected = set(pd.read_csv(batch / "_truth" / "anomalies.csv")["cadre_id"].dropna())

    latest = quadrants[quadrants["period"] == quadrants["period"].max()]
    compared = latest[latest["x_status"] != "unidentified"].merge(truth.reset_index(), on="cadre_id")
    assert len(compared) >= 100
    right = np.sign(compared["x"]) == np.sign(compared["truth"])
    placed = compared["x_status"] == "determined"
    clean = placed & ~compared["cadre_id"].isin(injected)
    corr = np.corrcoef(compared["x"], compared["truth"])[0, 1]
    print(f"demo seed 7, {latest['period'].iloc[0]}: {len(compared)} compared, {placed.sum()} placed, "
          f"{right[placed].mean():.0%} of them on their true side (point estimate {right.mean():.0%}; "
          f"without injected anomalies {clean.sum()} placed, {right[clean].mean():.0%}), corr(x, truth) {corr:.2f}")
    assert placed.sum() >= 5
    assert right[placed].mean() >= 0.65
    assert clean.sum() >= 5 and right[clean].mean() >= 0.85
    assert corr >= 0.45
