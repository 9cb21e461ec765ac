"""Comparison groups (比较组) named by their units, for the pages.

The contribution model fits each indicator apart; a comparison group of an indicator is a set of
cadres whose effects can be compared because job rotation links them (``component_id`` per
indicator, 0 = the group with most identified cadres). The number means nothing to a reader and
the same number names unrelated groups in different indicators, so no page shows it: a group is
named by the units it links. "主比较组" is said only of a group with more identified cadres than
any other of its indicator (group 0 may be first only by the numbering's tie-break).

Which units name a group of an indicator: the units whose platform effect belongs to it
(``marts.platform_effects``). A group can have none: where leads and deputies never swap roles the
model splits a connected set of units into several groups of cadres, and the units go to the
largest; such a group is named by the units where its cadres held posts, as "…的部分干部".

The composite '*' has no groups of its own: it averages standardised effects that are each centred
within the cadre's group of that indicator. Its ``component_id`` is the common number when it is the
same in every indicator used, else -1. The rule here, which is the simplest honest one:

* -1: "各指标比较组不同". The composite mixes groups; it is comparable with nobody's, so the pages
  draw these cadres each on their own scale.
* c >= 0: the group of one indicator, the *anchor*: among the cadre's identified indicators whose
  group is c, the one whose group links most units (then most cadres, then the indicator code).
  It is the widest comparison the composite stands on. The number alone cannot say more: two
  cadres with composite group 2 may sit in group 2 of different indicators, which are unrelated.
  (Which indicators entered the composite is not stored; the identified indicators in group c
  stand for them. An identified indicator of weight 0 can only widen the choice to a group the
  cadre really belongs to.)

Cadres whose labels are equal are drawn on one axis; different labels, apart.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

MIXED = "各指标比较组不同"
MIXED_HELP = ("综合贡献用到的几个指标里,该干部所在的比较组各不相同(各指标由不同的交流轮岗连成),"
              "综合值只在各指标组内有意义,不与其他干部比较高低。")
NO_GROUP = "无比较组"
NO_GROUP_HELP = "没有可与之比较的干部(无交流轮岗联系,或与同单位干部无法区分),个人贡献不可判定。"
# A group of at most ALL_NAMES units is named in full, a larger one by SHOWN_NAMES names and
# "等 N 个单位" (table cells stay short); the help text lists up to HELP_NAMES.
ALL_NAMES, SHOWN_NAMES, HELP_NAMES = 3, 2, 12


@dataclass(frozen=True)
class Group:
    """One comparison group of one indicator, as a person reads it."""

    label: str
    help: str
    n_units: int
    n_cadres: int


def name_group(main: bool, names: list[str], n_units: int, n_cadres: int, from_posts: bool,
               indicator_units: int = 0, indicator_name: str = "") -> Group:
    """The label of one comparison group of one indicator.

    ``main``: the group has more identified cadres than any other of the indicator (the model's
    group 0 when it is not tied: a tie would make "主" an accident of the numbering); ``names``: the names of its units the reader may see (at most all ``n_units``); ``n_units``:
    how many units it links in all; ``from_posts``: the units are where its cadres held posts (the
    group has no platform effects of its own); ``indicator_units``: units with a platform effect
    in the indicator (the main group covering them all is "全部")."""
    of = f"按“{indicator_name}”," if indicator_name else ""
    names = [n for n in names if n]
    shown = names[:ALL_NAMES] if n_units <= ALL_NAMES else names[:SHOWN_NAMES]
    listed = ""
    if names:
        etc = "等" if n_units > min(len(names), HELP_NAMES) else ""
        listed = f"所含单位:{'、'.join(names[:HELP_NAMES])}{etc}(共 {n_units} 个)。"
    if from_posts:
        where = "、".join(shown) if shown else f"{n_units} 个单位"
        more = f"等 {n_units} 个单位" if shown and n_units > len(shown) else ""
        return Group(f"比较组:{where}{more}的部分干部({n_cadres} 人)",
                     f"{of}这 {n_cadres} 名干部之间可以比较;他们与所在单位其他干部的高低无法从数据中分开"
                     "(如正副职从未互换),所以单列一组。" + listed.replace("所含单位", "他们任职的单位"),
                     n_units, n_cadres)
    if main:
        whole = "全部 " if 1 < indicator_units <= n_units else ""
        return Group(f"主比较组({whole}{n_units} 个单位)",
                     f"{of}由干部交流轮岗连在一起的最大一组单位和干部;组内干部的个人贡献可以相互比较。{listed}",
                     n_units, n_cadres)
    if shown and n_units > len(shown):
        where = f"{'、'.join(shown)}等 {n_units} 个单位"
    elif shown:
        where = f"{'、'.join(shown)}({n_units} 个单位)"
    else:
        where = f"{n_units} 个单位"
    return Group(f"比较组:{where}",
                 f"{of}组内干部只在组内比较,不与其他比较组的干部比较高低(各组之间没有干部交流,水平无法对齐)。"
                 + listed,
                 n_units, n_cadres)


def indicator_groups(groups: pd.DataFrame, indicator_names: dict[str, str] | None = None
                     ) -> dict[tuple[str, int], Group]:
    """Every (indicator, component_id) of ``groups`` (rows of
    :func:`ui.profile_queries.comparison_groups`) with its :class:`Group`."""
    names = indicator_names or {}
    out: dict[tuple[str, int], Group] = {}
    if groups is None or groups.empty:
        return out
    sizes = groups.drop_duplicates(["indicator", "component_id"]).set_index(["indicator", "component_id"])
    for (ind, comp), rows in groups.groupby(["indicator", "component_id"], sort=True):
        rows = rows.sort_values("unit_id")
        others = sizes.loc[ind]["group_cadres"].drop(comp, errors="ignore")
        main = comp == 0 and (others.empty or int(rows["group_cadres"].iloc[0]) > int(others.max()))
        out[(str(ind), int(comp))] = name_group(
            bool(main), [str(n) for n in rows["unit_name"].dropna()], int(rows["group_units"].iloc[0]),
            int(rows["group_cadres"].iloc[0]), not bool(rows["platform"].iloc[0]),
            int(rows["indicator_units"].iloc[0]), names.get(str(ind), "" if ind != "task" else "任务"))
    return out


def composite_groups(composite: pd.DataFrame, memberships: pd.DataFrame, groups: pd.DataFrame,
                     indicator_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Per cadre of ``composite`` (cadre_id, component_id, identified: the '*' rows), the group
    its composite contribution is compared within: columns cadre_id, group (label, equal labels
    share an axis), help, anchor (the indicator, "" when none), comparable (False for mixed or
    undetermined: never drawn against others). ``memberships``: the cadres' per-indicator rows
    (cadre_id, indicator, component_id, identified). See the module docstring for the rule."""
    known = indicator_groups(groups, indicator_names)
    members = memberships if memberships is not None else pd.DataFrame(
        columns=["cadre_id", "indicator", "component_id", "identified"])
    rows = []
    for cadre, comp, ident in zip(composite["cadre_id"], composite["component_id"], composite["identified"]):
        if pd.isna(ident) or not bool(ident) or pd.isna(comp):
            rows.append((cadre, NO_GROUP, NO_GROUP_HELP, "", False))
            continue
        comp = int(comp)
        if comp < 0:
            rows.append((cadre, MIXED, MIXED_HELP, "", False))
            continue
        mine = members[(members["cadre_id"] == cadre) & members["identified"].fillna(False).astype(bool)
                       & (members["component_id"] == comp)]
        options = [(known[(str(i), comp)], str(i)) for i in mine["indicator"] if (str(i), comp) in known]
        if not options:
            # Scoped readers see no unit of the group (or the version lacks platform effects).
            label = "比较组(所含单位不在您的查看范围内)"
            rows.append((cadre, label, "组内干部的个人贡献可以相互比较,不与其他组比较。", "", True))
            continue
        group, anchor = min(options, key=lambda o: (-o[0].n_units, -o[0].n_cadres, o[1]))
        rows.append((cadre, group.label, group.help, anchor, True))
    return pd.DataFrame(rows, columns=["cadre_id", "group", "help", "anchor", "comparable"])
