"""The query layer filters to the caller's units inside DuckDB and keys caches by scope."""
import pytest

from pipelines import db
from ui import queries
from ui.queries import Scope


@pytest.fixture()
def version_file(tmp_path):
    path = tmp_path / "v000001.duckdb"
    con = db.connect_writer(path)
    con.execute("CREATE SCHEMA staging")
    con.execute("""CREATE TABLE staging.units AS SELECT * FROM (VALUES
        ('T01', '玉城街道', '街道', true), ('T02', '坎门街道', '街道', true), ('D01', '发改局', '部门', false))
        AS t(unit_id, name, unit_type, is_town_level)""")
    con.close()
    yield path
    db.close_reader(path)


def test_scope_filters_rows_in_the_query(version_file):
    everyone = queries.run(Scope(), "SELECT * FROM staging.units", version_file=version_file)
    assert len(everyone) == 3
    inspector = Scope(role="inspector", units=frozenset({"T02"}), identity="insp1")
    got = queries.run(inspector, "SELECT * FROM staging.units", version_file=version_file)
    assert got["unit_id"].tolist() == ["T02"]


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "T01'; DROP TABLE staging.units; --", "T01\u2019", "；DROP"])
def test_hostile_unit_values_match_nothing(version_file, hostile):
    inspector = Scope(role="inspector", units=frozenset({hostile}), identity="x")
    assert queries.run(inspector, "SELECT * FROM staging.units", version_file=version_file).empty
    assert len(queries.run(Scope(), "SELECT * FROM staging.units", version_file=version_file)) == 3


def test_scopes_never_share_a_cache_entry():
    a = Scope(role="inspector", units=frozenset({"T01"}), identity="a")
    b = Scope(role="inspector", units=frozenset({"T02"}), identity="b")
    assert a.key != b.key
    assert Scope(role="analyst", identity="a").key != Scope(role="inspector", units=frozenset(), identity="a").key
