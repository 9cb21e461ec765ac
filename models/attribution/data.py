"""Input of the attribution: the long-format records and shares checked and coded as integers
(:class:`_Data`), and single-owner data split into that layout."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from models.attribution.schema import RECORD_COLUMNS, SHARE_COLUMNS


def single_owner_frames(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split single-owner data into (records, shares).

    ``frame`` has unit_id, period, cadre_id, y and optionally record_id (default: row number)
    and share (default 1); a row with an empty cadre_id is a record nobody was responsible for.
    """
    missing = {"unit_id", "period", "cadre_id", "y"} - set(frame.columns)
    if missing:
        raise ValueError(f"single-owner frame lacks columns {sorted(missing)}")
    frame = frame.reset_index(drop=True)
    record_id = frame["record_id"] if "record_id" in frame else pd.Series(np.arange(len(frame)))
    records = pd.DataFrame({
        "record_id": record_id.to_numpy(), "unit_id": frame["unit_id"].to_numpy(),
        "period": frame["period"].to_numpy(), "y": frame["y"].to_numpy(),
    })
    owned = frame["cadre_id"].notna().to_numpy()
    share = frame["share"].to_numpy(float) if "share" in frame else np.ones(len(frame))
    shares = pd.DataFrame({
        "record_id": record_id.to_numpy()[owned], "cadre_id": frame["cadre_id"].to_numpy()[owned],
        "share": share[owned],
    })
    return records, shares


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}")


@dataclass
class _Data:
    """Records and shares as integer codes; parameters are ordered [theta, psi, tau]."""

    y: np.ndarray
    unit: np.ndarray
    period: np.ndarray
    S: sparse.csr_matrix  # records x active cadres, cleaned shares
    cadre_ids: pd.Index  # active cadres (some positive share)
    unit_ids: pd.Index
    periods: pd.Index
    invalid: np.ndarray  # shares_invalid, per active cadre
    idle: pd.DataFrame  # cadres with share rows but no positive share: cadre_id, invalid

    @property
    def n(self) -> int:
        return self.y.size

    @property
    def C(self) -> int:
        return self.S.shape[1]

    @property
    def J(self) -> int:
        return len(self.unit_ids)

    @property
    def P(self) -> int:
        return len(self.periods)

    @property
    def single_owner(self) -> bool:
        return self.S.nnz == 0 or int(np.diff(self.S.indptr).max()) <= 1

    def design(self) -> sparse.csr_matrix:
        rows = np.arange(self.n)
        ones = np.ones(self.n)
        U = sparse.csr_matrix((ones, (rows, self.unit)), shape=(self.n, self.J))
        T = sparse.csr_matrix((ones, (rows, self.period)), shape=(self.n, self.P))
        return sparse.hstack([self.S, U, T], format="csr")

    def fitted(self, b: np.ndarray) -> np.ndarray:
        C, J = self.C, self.J
        return self.S @ b[:C] + b[C:C + J][self.unit] + b[C + J:][self.period]


def _prepare(records: pd.DataFrame, shares: pd.DataFrame, share_tol: float) -> _Data:
    _require(records, RECORD_COLUMNS, "records")
    _require(shares, SHARE_COLUMNS, "shares")
    y = pd.to_numeric(records["y"], errors="coerce").to_numpy(float)
    keep = np.isfinite(y)
    if not keep.all():
        warnings.warn(f"{int((~keep).sum())} records without a finite y were dropped", stacklevel=3)
    rec = records.loc[keep, ["record_id", "unit_id", "period"]]
    y = y[keep]
    if rec["record_id"].duplicated().any():
        raise ValueError("record_id must be unique within one indicator")
    if len(rec) == 0:
        raise ValueError("no records with a finite y")
    unit, unit_ids = pd.factorize(rec["unit_id"], sort=True)
    period, periods = pd.factorize(rec["period"], sort=True)

    # shares of records not present (e.g. another indicator's) are simply not used here
    row = pd.Index(rec["record_id"]).get_indexer(shares["record_id"])
    sh = shares.loc[row >= 0]
    row = row[row >= 0]
    cadre, cadre_ids = pd.factorize(sh["cadre_id"], sort=True)
    s = pd.to_numeric(sh["share"], errors="coerce").to_numpy(float)
    bad = ~(s >= 0)  # negative or missing
    S = sparse.csr_matrix(
        (np.where(bad, 0.0, s), (row, cadre)), shape=(len(rec), len(cadre_ids))
    )  # duplicates (record, cadre) are summed: two spells in one period
    total = np.asarray(S.sum(axis=1)).ravel()
    over = total > 1.0 + share_tol
    invalid = np.zeros(len(cadre_ids), bool)
    invalid[cadre[bad]] = True
    invalid[cadre[over[row]]] = True
    if over.any():
        S = sparse.diags(np.where(over, 1.0 / np.where(over, total, 1.0), 1.0)) @ S
    S = sparse.csr_matrix(S)
    S.eliminate_zeros()
    active = np.asarray((S != 0).sum(axis=0)).ravel() > 0
    if not active.any():
        raise ValueError("no cadre holds a positive share in these records")
    idle = pd.DataFrame({"cadre_id": cadre_ids[~active], "invalid": invalid[~active]})
    S = sparse.csr_matrix(S[:, np.flatnonzero(active)])
    S.sort_indices()
    return _Data(
        y=y, unit=unit.astype(np.int64), period=period.astype(np.int64), S=S,
        cadre_ids=cadre_ids[active], unit_ids=unit_ids, periods=periods,
        invalid=invalid[active], idle=idle,
    )
