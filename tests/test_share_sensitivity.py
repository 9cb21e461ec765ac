"""The 配合干部 share: the records' likelihood favours the true share; the table says what changes."""
import pandas as pd
import pytest

from datasets.attribution_world import make_shared
from models.share_sensitivity import COLUMNS, co_share_sensitivity


def _task_world(lead_share: float, seed: int = 0):
    """make_shared's rotation world read as tasks: each monthly record is one task whose 责任人
    holds ``lead_share`` of it (true), the 配合干部 the rest evenly; noise sd 0.5, cadre sd 0.5."""
    data = make_shared(n_units=40, n_periods=48, months_per_period=1, lead_share=lead_share, p_vacancy=0.0,
                       sd_noise=0.5, seed=seed)
    shares = data.shares.sort_values(["record_id", "share"], ascending=[True, False])
    lead = shares.groupby("record_id").head(1).set_index("record_id")["cadre_id"]
    co = shares.groupby("record_id")["cadre_id"].agg(lambda c: ";".join(c.iloc[1:])).reindex(lead.index)
    tasks = pd.DataFrame({"task_id": lead.index, "lead_cadre_id": lead.to_numpy(), "co_cadre_ids": co.to_numpy(),
                          "year": 2024})
    return data.records, tasks


@pytest.mark.parametrize("true_lead", [0.6, 0.9])
def test_the_records_favour_the_true_share(true_lead):
    records, tasks = _task_world(true_lead)
    out = co_share_sensitivity(records, tasks, {"lead": 0.6, "co": 0.4}).set_index("lead_share")
    assert list(out.reset_index().columns) == COLUMNS
    favoured = out["delta_deviance"].idxmin()
    assert abs(favoured - true_lead) <= 0.1 + 1e-9
    far = 0.9 if true_lead == 0.6 else 0.5
    assert out.loc[far, "delta_deviance"] > 2  # a share 0.3 off is clearly worse
    configured = out.loc[0.6]
    assert configured["configured"] and configured["corr_with_configured"] == pytest.approx(1.0)
    assert configured["n_side_lost"] == 0 and configured["n_side_flipped"] == 0
    assert (out["corr_with_configured"] > 0.8).all()


def test_too_few_records_give_an_empty_table():
    records, tasks = _task_world(0.6)
    few = records.head(5)
    assert co_share_sensitivity(few, tasks, {"lead": 0.6, "co": 0.4}).empty
