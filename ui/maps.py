"""Choropleth maps drawn from the county's own boundaries (units.geojson), fully offline.

Each unit's polygons are filled SVG shapes on a plain plotly plane (longitude scaled by cos φ so
shapes keep their proportions). No tiles, fonts or WebGL: plotly's geo maps fetch base layers
from a CDN, and its MapLibre maps need WebGL, which a wall PC or a headless browser may not
give; SVG also scales cleanly inside the wall's scaled canvas.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from ui.format import plain

NO_DATA = {"light": "#d5d9df", "dark": "#3a4556"}
SCALES = {"light": "Blues", "dark": [[0, "#123a5c"], [1, "#4fc3f7"]]}


def _dark(colour: str) -> bool:
    """Whether a fill ('rgb(r, g, b)' or '#rrggbb') needs light text (relative luminance < 0.45)."""
    if colour.startswith("#"):
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    else:
        r, g, b = (float(v) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.45


def _rings(geometry: dict) -> list[list]:
    """The outer ring of every polygon (holes are not drawn: unit boundaries rarely have any)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [polygon[0] for polygon in polygons if polygon]


def choropleth(shapes: pd.DataFrame, values: pd.DataFrame, *, measure: str, height_px: int,
               dark: bool = False, highlight: str | None = None, labels: bool = True,
               label_size: int = 12) -> go.Figure | None:
    """Units (rows of ``shapes``: unit_id, unit_name, geometry JSON) filled by ``values.value``
    (rows: unit_id, value, text); a unit without a value is grey and its hover says 无数据.
    None when there are no boundaries."""
    if shapes.empty:
        return None
    mode = "dark" if dark else "light"
    ink, edge = ("#e8eef7", "#0b1220") if dark else ("#1f2933", "#ffffff")  # colour bar text, borders
    merged = shapes.merge(values[["unit_id", "value", "text"]], on="unit_id", how="left")
    known = merged["value"].dropna()
    lo, hi = (float(known.min()), float(known.max())) if len(known) else (0.0, 1.0)
    fig = go.Figure()
    all_points, spots, outline = [], [], []
    for row in merged.itertuples():
        if pd.notna(row.value):
            share = 0.5 if hi == lo else (row.value - lo) / (hi - lo)
            fill, hover = sample_colorscale(SCALES[mode], [share])[0], f"{measure}:{plain(row.text)}"
        else:
            fill, hover = NO_DATA[mode], "无数据"
        name = plain(row.unit_name)
        rings = [np.asarray([p[:2] for p in ring], dtype=float) for ring in _rings(json.loads(row.geometry))]
        for xy in rings:
            all_points.append(xy)
            fig.add_trace(go.Scatter(
                x=xy[:, 0], y=xy[:, 1], fill="toself", fillcolor=fill, mode="lines", line={"color": edge, "width": 1},
                hoveron="fills", text=f"{name}<br>{hover}", hoverinfo="text", showlegend=False))
        spots.append((name, *max(rings, key=len)[:-1].mean(axis=0), "#ffffff" if _dark(fill) else "#1f2933"))
        if row.unit_id == highlight:
            outline += rings
    if labels:  # names at the centre of each unit's largest polygon, light on dark fills
        fig.add_trace(go.Scatter(x=[s[1] for s in spots], y=[s[2] for s in spots], text=[s[0] for s in spots],
                                 mode="text", textfont={"color": [s[3] for s in spots], "size": label_size},
                                 hoverinfo="skip", showlegend=False))
    for xy in outline:  # drawn last, so no neighbour covers the highlighted unit's edge
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", line={"color": "#d62728", "width": 3},
                                 hoverinfo="skip", showlegend=False))
    if len(known):  # the colour bar: an invisible trace carrying the scale
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
            marker={"color": [lo, hi], "colorscale": SCALES[mode], "showscale": True, "cmin": lo, "cmax": hi,
                    "colorbar": {"title": {"text": measure, "font": {"color": ink}}, "tickfont": {"color": ink},
                                 "thickness": 14, "len": 0.8}}))
    lat = float(np.mean(np.vstack(all_points)[:, 1]))
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    fig.update_layout(
        height=int(height_px), margin={"l": 4, "r": 4, "t": 4, "b": 4},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", font={"color": ink},
        xaxis=hidden, yaxis={**hidden, "scaleanchor": "x", "scaleratio": 1 / np.cos(np.radians(lat))},
        hoverlabel={"font": {"size": 14}})
    return fig
