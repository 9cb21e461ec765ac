"""Reading relations of a build's writer connection: shared by the build steps and the checks."""
from __future__ import annotations

import pandas as pd

PROVENANCE = ["_source", "_row", "_batch"]


def read_table(con, relation: str) -> pd.DataFrame:
    """A whole relation as a frame, without provenance columns. ``relation`` is internal."""
    frame = con.execute(f"SELECT * FROM {relation}").df()
    return frame.drop(columns=[c for c in PROVENANCE if c in frame])


def has_table(con, schema: str, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = $s "
                            "AND table_name = $t", {"s": schema, "t": name}).fetchall()[0][0])
