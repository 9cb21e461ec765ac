"""Write the demo batch: the seeded county of ``datasets.county`` as one UTF-8 CSV per input
table (the contract's columns, in the contract's order) plus ``units.geojson``, and its ground
truth into ``_truth/`` (never ingested). The generator builds the tables in memory; writing them
is this module's job, because only ``pipelines`` writes."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from datasets.county import COLUMNS, OUTPUT_TABLES, build
from pipelines.contract import TABLES

__all__ = ["generate", "write_demo", "OUTPUT_TABLES"]


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def contract_rows(name: str, rows: list[list]) -> tuple[list[str], list[list]]:
    """The generator's rows of table ``name`` in the contract's column order; a contract column
    the generator does not produce (the contract may grow) is left empty."""
    header = TABLES[name].column_names
    position = {c: i for i, c in enumerate(COLUMNS[name])}
    unknown = set(position) - set(header)
    if unknown:
        raise ValueError(f"{name}: the demo produces columns the contract does not know: {sorted(unknown)}")
    order = [position.get(c) for c in header]
    if order == list(range(len(header))):
        return header, rows
    return header, [["" if i is None else r[i] for i in order] for r in rows]


def generate(out_dir: Path, seed: int = 7, scale: str = "county") -> dict[str, int]:
    """Write the demo batch of ``seed`` at ``scale`` into ``out_dir`` and its truth into
    ``out_dir/_truth``. Returns the row count per written table (and ``unit_boundaries``)."""
    out_dir = Path(out_dir)
    batch = build(seed, scale)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_TABLES:
        _write_csv(out_dir / f"{name}.csv", *contract_rows(name, batch.tables[name]))
    (out_dir / "units.geojson").write_text(json.dumps(batch.boundaries, ensure_ascii=False), encoding="utf-8")
    truth_dir = out_dir / "_truth"
    truth_dir.mkdir(exist_ok=True)
    for fname, (header, rows) in batch.truth.items():
        _write_csv(truth_dir / fname, header, rows)
    (truth_dir / "params.json").write_text(
        json.dumps(batch.params, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (truth_dir / "README.md").write_text(batch.readme, encoding="utf-8")
    return batch.counts()


def write_demo(out_dir: Path, home, seed: int = 7, scale: str = "county") -> dict[str, int]:
    """Generate the demo batch and record its files as demo in ``home`` (the provenance that
    makes ``ingest`` mark it 演示; copying ``_truth/`` next to real files does not)."""
    counts = generate(out_dir, seed=seed, scale=scale)
    home.register_demo(Path(out_dir))
    return counts
