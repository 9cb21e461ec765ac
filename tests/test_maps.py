"""Offline choropleth from the units' own boundaries."""
import json

import pandas as pd

from ui.maps import choropleth


def _square(x, d=0.1):
    return json.dumps({"type": "Polygon", "coordinates": [[[x, 28], [x + d, 28], [x + d, 28 + d], [x, 28 + d], [x, 28]]]})


def test_units_are_filled_by_value_with_escaped_names_and_no_data_in_grey():
    shapes = pd.DataFrame({"unit_id": ["A", "B", "C"], "unit_name": ["<b>甲</b>", "乙镇", "丙乡"],
                           "geometry": [_square(121.0), _square(121.1),
                                        json.dumps({"type": "MultiPolygon", "coordinates": [
                                            json.loads(_square(121.2))["coordinates"],
                                            json.loads(_square(121.4))["coordinates"]]})]})
    values = pd.DataFrame({"unit_id": ["A", "C"], "value": [1.0, 3.0], "text": ["1.0 分", "3.0 分"]})
    fig = choropleth(shapes, values, measure="综合得分", height_px=400, highlight="C")
    fills = [t for t in fig.data if t.fill == "toself"]
    assert len(fills) == 4  # A, B and C's two islands
    hover = {t.text.split("<br>")[0]: t for t in fills}
    assert "&lt;b&gt;甲&lt;/b&gt;" in hover and "<b>甲</b>" not in hover  # a name is text, never markup
    assert hover["乙镇"].fillcolor == "#d5d9df" and hover["乙镇"].text.endswith("无数据")
    assert hover["&lt;b&gt;甲&lt;/b&gt;"].fillcolor != [t for t in fills if t.text.startswith("丙乡")][0].fillcolor
    outline = [t for t in fig.data if t.fill is None and t.mode == "lines"]
    assert len(outline) == 2 and {t.line.color for t in outline} == {"#d62728"}  # C's two islands, drawn last
    order = list(fig.data)
    assert min(order.index(t) for t in outline) > max(order.index(t) for t in fills)
    (labels,) = [t for t in fig.data if t.mode == "text"]
    assert list(labels.textfont.color) == ["#1f2933", "#1f2933", "#ffffff"]  # light text on C's dark fill
    scale = [t for t in fig.data if t.marker is not None and t.marker.showscale]
    assert len(scale) == 1 and (scale[0].marker.cmin, scale[0].marker.cmax) == (1.0, 3.0)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio > 1  # lon shrinks by cos φ


def test_no_boundaries_no_map():
    empty = pd.DataFrame(columns=["unit_id", "unit_name", "geometry"])
    assert choropleth(empty, pd.DataFrame(columns=["unit_id", "value", "text"]), measure="x", height_px=300) is None
