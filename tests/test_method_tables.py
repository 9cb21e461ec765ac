"""The 方法说明 tables about the attribution's evidence, from hand-made rows."""
import pandas as pd

from ui import method_tables as mt


def _sensitivity(deltas):
    return pd.DataFrame({
        "lead_share": [0.6, 0.8, 1.0], "co_share": [0.4, 0.2, 0.0], "configured": [True, False, False],
        "deviance": [100 + d for d in deltas], "delta_deviance": deltas, "sd_cadre": 1.0,
        "n_identified": [50, 50, 40], "n_sure": [10, 12, 14], "corr_with_configured": [1.0, 0.97, 0.9],
        "n_side_lost": [0, 1, 2], "n_side_flipped": [0, 0, 1],
    })


def test_the_favoured_share_and_whether_it_overturns_ours():
    clear = mt.favoured_share_text(_sensitivity([18.9, 0.0, 2.2]))
    assert "责任人 80% / 配合干部 20%" in clear and "18.9" in clear and "weights.yaml" in clear
    close = mt.favoured_share_text(_sensitivity([1.2, 0.0, 3.0]))
    assert "不足以推翻" in close
    assert "无法检验" in mt.favoured_share_text(_sensitivity([0, 0, 0]).iloc[0:0])


def test_tables_are_chinese_and_show_no_machine_values():
    table = mt.share_table(_sensitivity([18.9, 0.0, 2.2]))
    assert table.iloc[0, 0] == "60% / 40%(现行)" and table["改后方向相反"].tolist() == ["0 人", "0 人", "1 人"]
    summary = pd.DataFrame({"indicator": ["task", "gdp_growth"], "n_records": [602, 36], "n_needed": [417, 57],
                            "n_cadres": [335, 45], "n_units": [82, 12], "n_identified": [181, 0],
                            "sd_cadre": [5.8, float("nan")], "df_resid": [249.0, 3.0],
                            "serial_rho": [0.0, 0.32], "noise_inflation": [1.0, 1.88]})
    ident = mt.identification_table(summary, {"gdp_growth": "地区生产总值增速"})
    assert ident["指标"].tolist() == ["任务推进(各类别合并)", "地区生产总值增速"]
    assert ident["可识别干部"].tolist() == ["181 / 335", "0 / 45"]
    assert ident["任期内证据折算"].tolist() == ["—", "按 1/1.9 计"]
    text = ident.to_string()
    assert "nan" not in text.lower() and "None" not in text
