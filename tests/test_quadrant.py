import pandas as pd

from models.quadrant import assign_quadrants, long_stays, performance_percentile

CONFIG = {
    "x_cut": 0.0, "y_cut": 0.5, "long_stay_quarters": 3,
    "names": {"high_high": "高贡献区", "high_low": "逆势担当区", "low_high": "平台红利区",
              "low_low": "低效区", "unidentified": "不可判定"},
}


def test_each_quadrant_and_unidentified():
    points = pd.DataFrame({
        "cadre_id": ["a", "b", "c", "d", "e", "f"],
        "period": ["2025-Q1"] * 6,
        "x": [0.8, 0.8, -0.3, -0.3, 1.5, 0.0],
        "y": [0.9, 0.2, 0.9, 0.2, 0.9, 0.5],
        "identified": [True, True, True, True, False, True],
    })
    out = assign_quadrants(points, CONFIG).set_index("cadre_id")
    assert out.loc["a", "quadrant"] == "高贡献区"
    assert out.loc["b", "quadrant"] == "逆势担当区"
    assert out.loc["c", "quadrant"] == "平台红利区"
    assert out.loc["d", "quadrant"] == "低效区"
    assert out.loc["e", "quadrant"] == "不可判定" and pd.isna(out.loc["e", "x"])
    # Cut-offs are strict: exactly on both cuts is low/low.
    assert out.loc["f", "quadrant"] == "低效区"
    assert list(assign_quadrants(points, CONFIG).columns[:5]) == ["cadre_id", "period", "x", "y", "quadrant"]


def test_percentile_within_period():
    scores = pd.DataFrame({"period": ["q1"] * 4 + ["q2"] * 2, "score": [10, 20, 30, 40, 5, 1]})
    assert performance_percentile(scores).tolist() == [0.25, 0.5, 0.75, 1.0, 1.0, 0.5]


def test_long_stays_counts_the_latest_run_only():
    history = pd.DataFrame({
        "cadre_id": ["a"] * 5 + ["b"] * 4,
        "period": ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"] + ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"],
        "quadrant": ["低效区", "高贡献区", "低效区", "低效区", "低效区", "低效区", "低效区", "高贡献区", "低效区"],
    })
    out = long_stays(history, "低效区", 3)
    assert out.to_dict("records") == [{"cadre_id": "a", "quarters": 3, "since": "2025-Q2", "until": "2025-Q4"}]


def test_quarter_ends_are_complete_quarters_up_to_as_of():
    from pipelines.steps import quarter_ends

    assert quarter_ends("2025-12", 3) == [("2025-Q2", "2025-06"), ("2025-Q3", "2025-09"), ("2025-Q4", "2025-12")]
    assert quarter_ends("2025-02", 2) == [("2024-Q3", "2024-09"), ("2024-Q4", "2024-12")]
    assert quarter_ends("", 4) == []
