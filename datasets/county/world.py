"""The demo county's people and places: units, posts, the rotation history (the shared
simulator of datasets.rotation with the county's rules), names, the cadre effects, and the
units / cadres / assignments tables with the made-up town boundaries."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from datasets.county.params import (
    DEPARTMENTS, END_MI, HISTORY_START_MI, ISOLATED_UNITS, LEAD_DEPARTMENT, MODEL, PROVINCE_COUNTIES, RHO,
    ROTATION, SCALES, TASK_EFFECT_SD, TERM_MONTHS, TOWN_DEPUTIES, TOWN_OTHER_DEPUTIES, TOWN_TITLES, TOWN_TO_TOWN,
    TOWNS, UNIT_TASK_EFFECT_SD, fmt, std_normal,
)
from datasets.rotation import Post, Rotation, Term
from models.config import load_reference

if TYPE_CHECKING:
    from datasets.county.series import Series
# --- units and posts -------------------------------------------------------------------------

@dataclass
class Unit:
    unit_id: str
    name: str
    unit_type: str
    county: int
    size: float            # town-like: size weight within the county; departments: 0
    role: str              # departments: role_type of their posts
    isolated: bool
    lead_indicators: tuple[str, ...] = ()

    @property
    def town_like(self) -> bool:
        return self.unit_type != "部门"


def build_units(n_counties: int, indicator_codes: set[str]) -> list[Unit]:
    width = 2 if n_counties == 1 else 3
    units: list[Unit] = []
    for c in range(n_counties):
        prefix = "" if n_counties == 1 else f"{PROVINCE_COUNTIES[c]}·"
        for j, (local, name, utype, w) in enumerate(TOWNS):
            n = c * 11 + j + 1 if local[0] == "T" else c + 1
            uid = f"{local[0]}{n:0{width}d}"
            units.append(Unit(uid, prefix + name, utype, c, w, "综合", name in ISOLATED_UNITS))
        for j, (name, role) in enumerate(DEPARTMENTS):
            lead = tuple(k for k, d in LEAD_DEPARTMENT.items() if d == name and k in indicator_codes)
            units.append(Unit(f"D{c * len(DEPARTMENTS) + j + 1:0{width}d}", prefix + name, "部门", c, 0.0,
                              role, name in ISOLATED_UNITS, lead))
    return units


def _dept_titles(name: str) -> tuple[str, str]:
    if name.endswith("局"):
        return "局长", "副局长"
    if name.endswith("部"):
        return "常务副部长", "副部长"
    if name.endswith("集团"):
        return "董事长", "副总经理"
    if name.endswith(("会", "联", "团市委")):
        return "主席", "副主席"
    if name.endswith("纪委监委"):
        return "副书记", "委员"
    return "主任", "副主任"


def build_posts(rng: np.random.Generator, units: list[Unit], indicator_codes: set[str]) -> list[Post]:
    posts: list[Post] = []
    for ui, u in enumerate(units):
        if u.town_like:
            sec, chief, dep = TOWN_TITLES[u.unit_type]
            posts.append(Post(ui, sec, "secretary", "综合", True, 0.3, (), TERM_MONTHS))
            posts.append(Post(ui, chief, "chief", "综合", True, 0.3, (), TERM_MONTHS))
            for slot, (topic, role, share, inds) in TOWN_DEPUTIES.items():
                inds = tuple(k for k in inds if k in indicator_codes)
                posts.append(Post(ui, f"{dep}(分管{topic})", slot, role, False, share, inds, TERM_MONTHS))
            n_other = int(rng.integers(1, 3))
            for topic, role in TOWN_OTHER_DEPUTIES[:n_other]:
                posts.append(Post(ui, f"{dep}(分管{topic})", "dep_other", role, False, 0.0, (), TERM_MONTHS))
        else:
            head, dep = _dept_titles(u.name.split("·")[-1])
            posts.append(Post(ui, head, "dept_head", u.role, True, 0.6, (), TERM_MONTHS))
            posts.append(Post(ui, dep, "dept_dep1", u.role, False, 0.4, u.lead_indicators, TERM_MONTHS))
            for _ in range(int(rng.integers(1, 3))):
                posts.append(Post(ui, dep, "dept_dep", u.role, False, 0.0, (), TERM_MONTHS))
    return posts


# --- rotation: the shared simulator with the county's preferences ----------------------------

def county_rotation(rng: np.random.Generator, units: list[Unit], posts: list[Post]) -> Rotation:
    """The shared simulator (datasets.rotation) with the county's rules: closed units, reshuffles
    of same-kind town posts within a county, and movers weighted by where they come from."""

    def affinity(post: Post, last: Post, p: int, last_p: int, age: int | None) -> float:
        unit, lu = units[post.unit], units[last.unit]
        if last.senior and not post.senior:
            return 0.0
        if post.senior and not last.senior:
            if age > 50:
                return 0.0
            x = 0.7
        else:
            x = 1.0
        if not post.senior:
            x *= 4.0 if last.role == post.role else 0.5
        x *= 0.4 if last.unit == post.unit else 1.0
        x *= TOWN_TO_TOWN if (unit.town_like and lu.town_like) else 1.0
        x *= 1.0 if unit.county == lu.county else 0.03
        return x

    def reshuffle_key(p: int):
        unit = units[posts[p].unit]
        return (unit.county, posts[p].slot) if unit.town_like else None

    closed = frozenset(i for i, u in enumerate(units) if u.isolated)
    return Rotation(rng, posts, ROTATION, closed, affinity, reshuffle_key)


# --- names -----------------------------------------------------------------------------------

SURNAMES = ("陈林王张李黄吴徐周郑叶朱杨潘应金蒋阮戴颜项许何胡赵沈洪董谢郭梁方罗蔡江管毛章卢柯"
            "夏任施孙钱葛程鲍邵陶包屠")
GIVEN = ("建国明华伟军平志海强文杰斌亮晓丽红芳静燕慧敏婷霞勇涛超波峰磊辉鹏飞俊宇浩凯琳洁颖佳雯"
         "嘉晨婧昊宁远航昕怡春秋冬雪云松柏兴旺国庆立新永利安康德润泽鑫蕾瑶琪哲睿")


def cadre_names(rng: np.random.Generator, n: int) -> list[str]:
    """Pseudonyms: a surname plus one or two random given-name characters (no real persons)."""
    s_weights = np.linspace(3.0, 0.5, len(SURNAMES))
    s_weights /= s_weights.sum()
    names, seen = [], set()
    for _ in range(n):
        for attempt in range(50):
            s = SURNAMES[int(rng.choice(len(SURNAMES), p=s_weights))]
            k = 1 if rng.random() < 0.3 else 2
            name = s + "".join(GIVEN[int(i)] for i in rng.integers(0, len(GIVEN), k))
            if name not in seen or attempt == 49:
                break
        seen.add(name)
        names.append(name)
    return names


# --- the world -------------------------------------------------------------------------------

@dataclass
class World:
    dictionary: dict
    units: list[Unit]
    posts: list[Post]
    terms: list[Term]
    births: list[int]
    names: list[str]
    ability: np.ndarray
    theta: dict[str, np.ndarray] = field(default_factory=dict)
    exposure: dict[str, np.ndarray] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    anomalies: list[dict] = field(default_factory=list)
    task_effect: np.ndarray | None = None
    unit_task_effect: np.ndarray | None = None

    @property
    def n_cadres(self) -> int:
        return len(self.births)

    @property
    def n_counties(self) -> int:
        return len({u.county for u in self.units})

    def terms_of_unit(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, t in enumerate(self.terms):
            out.setdefault(self.posts[t.post].unit, []).append(i)
        return out

    def holder_at(self, unit: int, slots: tuple[str, ...], day: date, by_unit: dict[int, list[int]]) -> int | None:
        d = day.toordinal()
        for i in by_unit.get(unit, []):
            t = self.terms[i]
            s, e = t.span()
            if self.posts[t.post].slot in slots and s <= d <= e:
                return t.cadre
        return None

    def add_anomaly(self, kind: str, level: str, unit: int | None, cadre: str, task: str, indicator: str,
                    onset: str, end: str, magnitude: float, note: str) -> None:
        """Record an injected anomaly for the truth file ``anomalies.csv``."""
        self.anomalies.append({
            "anomaly_id": f"A{len(self.anomalies) + 1:04d}", "kind": kind, "level": level,
            "unit_id": "" if unit is None else self.units[unit].unit_id, "cadre_id": cadre, "task_id": task,
            "indicator": indicator, "onset": onset, "end": end, "magnitude": magnitude, "note": note,
        })

    def cadre_ids(self) -> list[str]:
        return [cadre_id(i) for i in range(self.n_cadres)]


def cadre_id(i: int) -> str:
    return f"C{i + 1:04d}"


# --- tables: units, cadres, assignments ------------------------------------------------------

def units_rows(world: World) -> list[list]:
    return [[u.unit_id, u.name, u.unit_type, ""] for u in world.units]


# Where the demo county lies (玉环 is near 121.23°E, 28.13°N) and how large a town's cell is.
MAP_ORIGIN = (121.05, 28.02)
MAP_CELL_DEG = 0.06


def boundaries_geojson(world: World, seed: int) -> dict:
    """Plausible, made-up boundaries for the town-like units (乡镇街道 and the 平台): each county a
    grid of cells whose shared interior corners are jittered, so neighbours fit without gaps;
    counties sit side by side. Drawn from their own generator: the rest of the world is unchanged."""
    rng = np.random.default_rng([seed, 4242])
    features = []
    for county in sorted({u.county for u in world.units}):
        towns = [u for u in world.units if u.county == county and u.unit_type != "部门"]
        if not towns:
            continue
        cols = int(np.ceil(np.sqrt(len(towns))))
        rows = int(np.ceil(len(towns) / cols))
        x0 = MAP_ORIGIN[0] + county * (cols + 1) * MAP_CELL_DEG
        corners = np.zeros((rows + 1, cols + 1, 2))
        for r in range(rows + 1):
            for c in range(cols + 1):
                inner = 0 < r < rows and 0 < c < cols  # the outline moves less: it stays a whole county
                jitter = rng.uniform(-0.3, 0.3, 2) * MAP_CELL_DEG * (1.0 if inner else 0.5)
                corners[r, c] = (x0 + c * MAP_CELL_DEG + jitter[0], MAP_ORIGIN[1] + r * MAP_CELL_DEG + jitter[1])
        for k, unit in enumerate(towns):
            r, c = divmod(k, cols)
            ring = [corners[r, c], corners[r, c + 1], corners[r + 1, c + 1], corners[r + 1, c], corners[r, c]]
            features.append({"type": "Feature", "properties": {"unit_id": unit.unit_id, "name": unit.name},
                             "geometry": {"type": "Polygon",
                                          "coordinates": [[[round(float(x), 5), round(float(y), 5)] for x, y in ring]]}})
    return {"type": "FeatureCollection", "features": features}


def cadres_rows(world: World) -> list[list]:
    last: dict[int, Term] = {}
    for t in world.terms:
        if t.cadre not in last or t.start_mi > last[t.cadre].start_mi:
            last[t.cadre] = t
    rows = []
    for c in range(world.n_cadres):
        post = world.posts[last[c].post]
        rows.append([cadre_id(c), world.names[c], world.births[c], "正科级" if post.senior else "副科级", post.role])
    return rows


def assignments_rows(world: World) -> list[list]:
    rows = []
    for t in world.terms:
        post = world.posts[t.post]
        rows.append([cadre_id(t.cadre), world.units[post.unit].unit_id, post.title, t.start.isoformat(),
                     "" if t.end is None else t.end.isoformat(), fmt(post.share, 1), ";".join(post.indicators)])
    return rows


# --- entry point -----------------------------------------------------------------------------

def build_world(seed: int, scale: str) -> tuple[World, list[np.random.Generator]]:
    """Units, posts, the rotation history and the cadre effects; the streams for the rest."""
    if scale not in SCALES:
        raise ValueError(f"scale 只能是 {'/'.join(SCALES)}")
    n_counties = SCALES[scale]
    streams = np.random.default_rng(seed).spawn(12)
    dictionary = load_reference("indicators")["indicators"]
    codes = set(dictionary)
    units = build_units(n_counties, codes)
    posts = build_posts(streams[0], units, codes)
    terms, births = county_rotation(streams[1], units, posts).run(HISTORY_START_MI, END_MI)
    names = cadre_names(streams[2], len(births))
    rng = streams[3]
    ability = std_normal(rng, len(births))
    world = World(dictionary, units, posts, terms, births, names, ability)
    for code, spec in MODEL.items():  # level series: × m_k in build_series
        world.theta[code] = spec.sd_theta * (RHO * ability + math.sqrt(1 - RHO ** 2) * std_normal(rng, len(births)))
    world.task_effect = TASK_EFFECT_SD * (RHO * ability + math.sqrt(1 - RHO ** 2) * std_normal(rng, len(births)))
    world.unit_task_effect = UNIT_TASK_EFFECT_SD * std_normal(rng, len(units))
    return world, streams

