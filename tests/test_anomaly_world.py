"""The anomaly benchmark's tasks (datasets/anomaly_world/tasks.py): leads come from the shared
rotation simulator and their draws leave the series benchmark alone."""
from __future__ import annotations

from datasets.anomaly_world import TASK_ROTATION, make_benchmark, task_leads


def test_task_leads_hold_a_post_in_the_task_unit_that_year():
    leads = task_leads(30, seed=4, year=2024)
    assert leads == task_leads(30, seed=4, year=2024)
    units_of = {}
    for cadre, unit in leads:
        units_of.setdefault(cadre, set()).add(unit)
    assert {u for _, u in leads} == set(range(30))
    assert sorted(units_of) == list(range(len(units_of)))  # numbered 0, 1, … in the year
    assert 60 <= len(units_of) <= 60 * (1 + 12 / TASK_ROTATION["tenure"][0])  # two posts a unit, some turnover
    bench = make_benchmark(4, n_units=30, n_fast=0, counts={}, with_tasks=True, n_tasks=150)
    unit_index = {u: i for i, u in enumerate(bench.units["unit_id"])}
    for task in bench.tasks.itertuples():
        assert unit_index[task.unit_id] in units_of[int(task.lead_cadre_id[1:]) - 1], task


def test_tasks_do_not_change_the_series():
    plain = make_benchmark(5, n_units=30, n_fast=2, counts={("spike", "spike"): 3})
    with_tasks = make_benchmark(5, n_units=30, n_fast=2, counts={("spike", "spike"): 3}, with_tasks=True, n_tasks=60)
    assert plain.values.equals(with_tasks.values) and plain.truth.equals(with_tasks.truth)
    assert len(with_tasks.tasks) == 60 and plain.tasks.empty
