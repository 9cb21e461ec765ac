"""The one palette of the app: 亮牌 / severity colours (红/橙/黄/绿) and the four quadrants, for
every page and the big screen, so a 红牌 is the same red on a table, a chart and the wall.

Plain constants (no Streamlit, no plotly). A strong colour marks a chart mark or a tile edge; its
light tint of the same hue is a table cell's background, under dark text."""
from __future__ import annotations

# 亮牌 and 预警等级: marks, bars, tile edges.
CARD = {"绿": "#22c55e", "黄": "#facc15", "橙": "#fb923c", "红": "#ef4444"}
# Text drawn on a CARD colour (dark on the light three, white on red).
CARD_TEXT = {"绿": "#04210f", "黄": "#2a2100", "橙": "#2b1300", "红": "#ffffff"}
# Table-cell backgrounds: the same hues, light, so cell text stays dark and readable.
CARD_TINT = {"绿": "#bbf7d0", "黄": "#fef08a", "橙": "#fed7aa", "红": "#fecaca"}
# Severity of a flag uses the card words and colours.
SEVERITY = {k: CARD[k] for k in ("红", "橙", "黄")}
# A flagged span shaded behind a line: the severity colour, translucent.
SEVERITY_SHADE = {"红": "rgba(239,68,68,0.16)", "橙": "rgba(251,146,60,0.20)", "黄": "rgba(250,204,21,0.24)"}
NEUTRAL = "#64748b"

# 实绩象限, by code (models.quadrant): 高贡献区 green, 逆势担当区 blue, 平台红利区 orange, 低效区 red,
# 不确定 slate, 不可判定 grey.
QUADRANT = {
    "high_high": "#15803d",
    "high_low": "#1d4ed8",
    "low_high": "#ea580c",
    "low_low": "#dc2626",
    "uncertain": "#475569",
    "unidentified": "#94a3b8",
}
# The same four hues, bright, for the wall's dark background (the seq order of the quadrants).
QUADRANT_BRIGHT = {"high_high": CARD["绿"], "high_low": "#5cc8ff", "low_high": CARD["橙"], "low_low": CARD["红"]}
# 判定 bands of a contribution (高/中/低/不可判定).
BAND = {"高": QUADRANT["high_high"], "中": NEUTRAL, "低": QUADRANT["low_low"], "不可判定": QUADRANT["unidentified"]}
