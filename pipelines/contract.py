"""The input contract (shared/CONTRACT.md §1) as data: tables, keys, columns and header aliases.

Other programs depend on these names: extend, never rename. Every other module reads the
contract from here instead of repeating column lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The closed vocabularies live in models/ because the policy checks need them too.
from models.vocabulary import FREQUENCIES, GRADE_WORDS, INDICATOR_KINDS, RATER_GROUPS  # noqa: F401

# Column kinds understood by pipelines.normalize:
#   str     code or category (NFKC-normalised, stripped): compared and joined
#   text    free text people wrote (names, titles, posts, comments): kept byte for byte
#   int     whole number
#   number  real number; "1,234.5万元", "12.5%" accepted (suffix recorded, mixed suffixes rejected)
#   pct     percentage 0..100 ("45%", "45", "45.0")
#   share   fraction 0..1 ("0.6", "60%")
#   period  YYYY-MM / YYYY-Qn / YYYY (many Chinese spellings)
#   date    calendar date
#   bool    true/false/是/否/1/0
#   list    ';'-separated codes
#   score   0..100 or a grade word 好/较好/一般/差


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    kind: str = "str"
    required: bool = True
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    month_end: bool = False  # a month-only date means the month's last day (deadlines, term ends)


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    notes: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


UNIT_TYPES = ("市", "区", "县", "县级市", "街道", "镇", "乡", "平台", "部门")
# 进度不实/成效不实 are 属实 findings that also say which figure was wrong.
CHECK_RESULTS = ("属实", "已说明", "误报", "进度不实", "成效不实")

C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "indicators", "指标定义", ("indicator",),
            (
                C("indicator", ("指标编码", "指标代码")),
                C("name", ("指标名称",), "text"),
                C("unit", ("计量单位", "单位")),
                C("direction", ("方向",), "int", enum=None, min=-1, max=1),
                C("frequency", ("频率",), enum=FREQUENCIES),
                C("cumulative", ("累计值", "是否累计"), "bool"),
                C("kind", ("指标类型",), required=False, enum=INDICATOR_KINDS),
                C("unit_type", ("适用单位类型",), "list", required=False),
            ),
        ),
        Table(
            "units", "单位", ("unit_id",),
            (
                C("unit_id", ("单位编码", "单位代码")),
                C("name", ("单位名称",), "text"),
                C("unit_type", ("单位类型",), enum=UNIT_TYPES),
                C("parent_id", ("上级单位",), required=False),
            ),
        ),
        Table(
            "unit_boundaries", "单位边界", ("unit_id",),
            (
                C("unit_id", ("单位编码",)),
                C("geometry", ("边界",), "text"),
            ),
            notes="delivered as units.geojson (a FeatureCollection, property unit_id); used for maps only",
        ),
        Table(
            "cadres", "干部", ("cadre_id",),
            (
                C("cadre_id", ("干部编码", "干部代码")),
                C("name", ("姓名",), "text"),
                C("birth_year", ("出生年份",), "int", required=False, min=1940, max=2010),
                C("rank", ("职级",), required=False),
                C("role_type", ("条线",), required=False),
            ),
        ),
        Table(
            "assignments", "任职", ("cadre_id", "unit_id", "start"),
            (
                C("cadre_id", ("干部编码", "干部代码")),
                C("unit_id", ("单位编码", "单位代码")),
                C("post", ("职务",), "text", required=False),
                C("start", ("任职起始", "起始日期", "任职开始"), "date"),
                C("end", ("任职结束", "结束日期"), "date", required=False, month_end=True),
                C("share", ("责任份额",), "share", required=False, min=0, max=1),
                C("indicators", ("分管指标",), "list", required=False),
            ),
        ),
        Table(
            "indicator_values", "指标数据", ("unit_id", "indicator", "period"),
            (
                C("unit_id", ("单位编码", "单位代码")),
                C("indicator", ("指标", "指标编码", "指标名称")),
                C("period", ("期间",), "period"),
                C("value", ("数值",), "number"),
                C("target", ("目标值",), "number", required=False),
                C("verified_value", ("核实值",), "number", required=False),
            ),
        ),
        Table(
            "tasks", "任务", ("task_id",),
            (
                C("task_id", ("任务编码",)),
                C("year", ("年度",), "int", min=2000, max=2100),
                C("title", ("任务名称",), "text"),
                C("category", ("类别",)),
                C("unit_id", ("单位编码", "单位代码", "责任单位")),
                C("lead_cadre_id", ("责任人",)),
                C("co_cadre_ids", ("配合干部",), "list", required=False),
                C("due", ("完成时限",), "date", month_end=True),
                C("difficulty", ("难度系数",), "number", required=False, min=0.5, max=1.5),
            ),
        ),
        Table(
            "task_progress", "任务进度", ("task_id", "period"),
            (
                C("task_id", ("任务编码",)),
                C("period", ("期间",), "period"),
                C("planned_pct", ("计划进度",), "pct", min=0, max=100),
                C("actual_pct", ("实际进度",), "pct", min=0, max=100),
                C("verified_pct", ("核实进度",), "pct", required=False, min=0, max=100),
                C("evidence_count", ("佐证数",), "int", required=False, min=0),
                C("reported_at", ("填报日期",), "date", required=False),
            ),
        ),
        Table(
            "ratings", "评价", ("period", "cadre_id", "rater_group", "rater_id"),
            (
                C("period", ("期间",), "period"),
                C("cadre_id", ("干部编码", "干部代码")),
                C("rater_group", ("评价主体",), enum=RATER_GROUPS),
                C("rater_id", ("评价人编码",)),
                C("score", ("得分",), "score", min=0, max=100),
                C("comment", ("评语",), "text", required=False),
            ),
        ),
        Table(
            "projects", "招商项目", ("project_id",),
            (
                C("project_id", ("项目编码",)),
                C("unit_id", ("单位编码", "单位代码")),
                C("cadre_id", ("招商责任人",)),
                C("name", ("项目名称",), "text"),
                C("agreed_investment", ("协议投资",), "number", min=0),
                C("signed", ("签约",), "date"),
                C("landed", ("落地",), "date", required=False),
                C("started", ("开工",), "date", required=False),
                C("producing", ("投产",), "date", required=False),
                C("at_capacity", ("达产",), "date", required=False),
            ),
        ),
        Table(
            "enterprises", "企业", ("enterprise_id",),
            (
                C("enterprise_id", ("企业编码",)),
                C("unit_id", ("单位编码", "单位代码")),
                C("land_mu", ("用地面积",), "number", min=0),
                C("above_scale", ("规上",), "bool"),
                C("cadre_id", ("挂联干部",), required=False),
            ),
        ),
        Table(
            "enterprise_years", "企业年度", ("enterprise_id", "year"),
            (
                C("enterprise_id", ("企业编码",)),
                C("year", ("年度", "年份"), "int", min=2000, max=2100),
                C("tax", ("税收",), "number"),
                C("value_added", ("增加值",), "number"),
                C("energy_tce", ("综合能耗",), "number", required=False, min=0),
                C("emission_t", ("排放",), "number", required=False, min=0),
                C("employees", ("从业人员",), "int", required=False, min=0),
                C("rd_expense", ("研发经费",), "number", required=False, min=0),
                C("revenue", ("营业收入",), "number", required=False, min=0),
            ),
        ),
        Table(
            "checks", "核验记录", ("check_id",),
            (
                C("check_id", ("核验编码", "核验记录编码")),
                C("flag_id", ("线索编号", "预警编号"), required=False),
                C("task_id", ("任务编码",), required=False),
                C("unit_id", ("单位编码", "单位代码"), required=False),
                C("indicator", ("指标", "指标编码", "指标名称"), required=False),
                C("period", ("期间",), "period", required=False),
                C("result", ("核验结论",), enum=CHECK_RESULTS),
                C("verified_value", ("核实值", "核实数"), "number", required=False),
                C("verified_pct", ("核实进度",), "pct", required=False, min=0, max=100),
                C("note", ("说明",), "text", required=False),
                C("checked_at", ("核验日期",), "date", required=False),
                C("checked_by", ("核验人",), "text", required=False),
            ),
        ),
    )
}

# Build order: referenced tables before the tables that reference them.
TABLE_ORDER = (
    "indicators", "units", "unit_boundaries", "cadres", "assignments", "indicator_values", "tasks",
    "task_progress", "ratings", "projects", "enterprises", "enterprise_years", "checks",
)

# (table, column) -> (referenced table, referenced column)
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("units", "parent_id"): ("units", "unit_id"),
    ("unit_boundaries", "unit_id"): ("units", "unit_id"),
    ("assignments", "cadre_id"): ("cadres", "cadre_id"),
    ("assignments", "unit_id"): ("units", "unit_id"),
    ("indicator_values", "unit_id"): ("units", "unit_id"),
    ("tasks", "unit_id"): ("units", "unit_id"),
    ("tasks", "lead_cadre_id"): ("cadres", "cadre_id"),
    ("tasks", "co_cadre_ids"): ("cadres", "cadre_id"),
    ("task_progress", "task_id"): ("tasks", "task_id"),
    ("ratings", "cadre_id"): ("cadres", "cadre_id"),
    ("projects", "unit_id"): ("units", "unit_id"),
    ("projects", "cadre_id"): ("cadres", "cadre_id"),
    ("enterprises", "unit_id"): ("units", "unit_id"),
    ("enterprises", "cadre_id"): ("cadres", "cadre_id"),
    ("enterprise_years", "enterprise_id"): ("enterprises", "enterprise_id"),
    ("checks", "task_id"): ("tasks", "task_id"),
    ("checks", "unit_id"): ("units", "unit_id"),
}


def table_for_name(stem: str) -> Table | None:
    """The table a file or sheet name stands for (English or Chinese), or None."""
    s = stem.strip().lower()
    for t in TABLES.values():
        if (s in (t.name, t.zh) or s in t.aliases) and t.name not in GEOJSON_TABLES.values():
            return t
    return None


# Tables delivered as a GeoJSON file (by file stem), never as a sheet or CSV.
GEOJSON_TABLES = {"units": "unit_boundaries", "单位": "unit_boundaries", "单位边界": "unit_boundaries"}
