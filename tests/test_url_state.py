"""ui.url_state, the one URL-state helper of the pages: read (validated), write back, carry."""
from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from ui import url_state

    options = ["红", "橙", "黄"]
    periods = ["2025-Q1", "2025-Q2", "2025-Q3"]
    st.selectbox("季度", periods, key="p", on_change=url_state.bind("p", "period", periods, default=periods[-1]))
    st.multiselect("等级", options, key="s", on_change=url_state.bind("s", "severity", options, many=True,
                                                                   default=options))
    st.multiselect("规则", ["a", "b"], key="r", on_change=url_state.bind("r", "rule", ["a", "b"], many=True))
    picked = url_state.choice("cadre", {"C1": "甲", "C2": "乙"}, "找不到干部编号 {}")
    st.selectbox("干部", [None, "C1", "C2"], key="cadre_pick", on_change=url_state.sync("cadre"))
    st.text(repr(url_state.read("units", many=True, sep=",", legacy="unit")))
    st.text(repr(url_state.carry(("period", "severity", "rule"))))
    st.text(repr(picked))


def _run(**params) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=30)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _get(at, key):
    value = at.query_params.get(key)
    return value if value is None or isinstance(value, list) else [value]


def test_absent_parameters_give_the_defaults_and_stay_out_of_the_url():
    at = _run()
    assert at.selectbox(key="p").value == "2025-Q3"
    assert at.multiselect(key="s").value == ["红", "橙", "黄"] and at.multiselect(key="r").value == []
    assert at.text[0].value == "[]" and at.text[1].value == "{}" and at.text[2].value == "None"
    assert not {"period", "severity", "rule", "cadre"} & set(at.query_params)


def test_url_values_are_validated_against_the_options():
    at = _run(period="2025-Q1", severity=["黄", "紫", "黄"], rule="zzz", cadre="C2")
    assert at.selectbox(key="p").value == "2025-Q1"
    assert at.multiselect(key="s").value == ["黄"]  # unknown dropped, repeats once
    assert at.multiselect(key="r").value == []  # only unknown values: as if absent
    assert at.selectbox(key="cadre_pick").value == "C2" and at.text[2].value == "'C2'"
    at = _run(period="1999-Q9", severity="紫")
    assert at.selectbox(key="p").value == "2025-Q3" and at.multiselect(key="s").value == ["红", "橙", "黄"]


def test_an_unknown_id_is_warned_about_as_plain_text():
    at = _run(cadre="![x](http://evil.example/t.png)")
    assert at.selectbox(key="cadre_pick").value is None
    warning = at.warning[0].value
    assert "找不到干部编号" in warning and "](" not in warning


def test_a_choice_is_written_back_and_the_default_removes_the_parameter():
    at = _run()
    at.selectbox(key="p").set_value("2025-Q2").run()
    assert _get(at, "period") == ["2025-Q2"]
    at.multiselect(key="s").set_value(["红"]).run()
    assert _get(at, "severity") == ["红"] and at.multiselect(key="s").value == ["红"]
    at.selectbox(key="cadre_pick").set_value("C1").run()
    assert _get(at, "cadre") == ["C1"] and at.text[2].value == "'C1'"
    assert eval(at.text[1].value) == {"period": ["2025-Q2"], "severity": ["红"]}  # what travels to the next page
    at.selectbox(key="p").set_value("2025-Q3").run()
    at.selectbox(key="cadre_pick").set_value(None).run()
    assert "period" not in at.query_params and "cadre" not in at.query_params


def test_a_list_cleared_on_purpose_stays_empty():
    at = _run()
    at.multiselect(key="s").set_value([]).run()
    assert _get(at, "severity") == [""]  # not absent, or the default would come back
    assert at.multiselect(key="s").value == []
    at.run()
    assert at.multiselect(key="s").value == []
    at = _run(severity="")  # a shared link of a cleared list
    assert at.multiselect(key="s").value == []


def test_joined_and_older_repeated_ids_are_read_in_order_without_repeats():
    at = _run(units="T01, D03,,T01", unit=["T02", "D03"])
    assert at.text[0].value == "['T01', 'D03', 'T02']"
