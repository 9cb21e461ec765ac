"""What is published: version, as-of, row counts per table, versions kept."""
from __future__ import annotations

from pipelines import build
from pipelines.contract import TABLES
from pipelines.home import Home


def leftovers(home: Home) -> list[str]:
    """Files an interrupted build left in the warehouse (never current; the next ingest removes them)."""
    if not home.warehouse.exists():
        return []
    partial = [p.name for p in home.warehouse.glob("*.building*")]
    partial += [p.name for p in home.warehouse.glob("v??????.public.duckdb")
                if not home.version_path(p.name[:7]).exists()]
    return sorted(partial)


def data_status(home: Home) -> dict | None:
    current = home.current()
    if current is None:
        return None
    info = build.read_info(current["path"])
    return {
        "version": current["version"],
        "published_at": current.get("published_at"),
        "as_of": info.get("as_of", ""),
        "built_at": info.get("built_at"),
        "rows": build.row_counts(current["path"]),
        "versions": home.versions(),
        "batches": len(build.read_manifest(current["path"])["batches"]),
        "kind": "演示" if build.is_demo(current["path"]) else "真实",
    }


def status_text(home: Home) -> str:
    s = data_status(home)
    if s is None:
        return f"{home.root}: 尚无已发布的数据。先运行 python -m pipelines ingest PATH。"
    lines = [
        f"当前版本: {s['version']}(发布于 {s['published_at']};{s['kind']}数据)",
        f"数据截至: {s['as_of'] or '—'}",
        f"已导入批次: {s['batches']}",
        "各表行数:",
    ]
    lines += [f"  {name}({TABLES[name].zh}): {n}" for name, n in s["rows"].items()]
    lines.append(f"保留的版本: {', '.join(s['versions'])}")
    left = leftovers(home)
    if left:
        lines.append(f"中断的构建留下的文件(从未发布,下次导入时自动清除): {', '.join(left)}")
    return "\n".join(lines)


def versions_table(home: Home) -> list[dict]:
    """Every kept version, newest first: as-of, build time, batches and rows per table."""
    current = (home.current() or {}).get("version")
    rows = []
    for version in reversed(home.versions()):
        path = home.version_path(version)
        info = build.read_info(path)
        counts = build.row_counts(path)
        rows.append({"version": version, "current": version == current,
                     "kind": "演示" if build.is_demo(path) else "真实", "as_of": info.get("as_of", ""),
                     "built_at": info.get("built_at", ""),
                     "batches": len(build.read_manifest(path)["batches"]), **counts})
    return rows
