"""The reader connection is read-only, sandboxed and cached per version file."""
import duckdb
import pytest

from pipelines import db


@pytest.fixture()
def version_file(tmp_path):
    path = tmp_path / "v000001.duckdb"
    con = db.connect_writer(path)
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    yield path
    db.close_reader(path)


@pytest.mark.parametrize("statement", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "COPY t TO '/tmp/shiji_leak.csv'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "SET enable_external_access = true",
    "INSTALL httpfs",
    "CREATE TABLE y AS SELECT 2",
    "INSERT INTO t VALUES (2)",
])
def test_reader_refuses_escape_and_writes(version_file, statement):
    with pytest.raises(duckdb.Error):
        db.query(version_file, statement)


def test_reader_is_cached_per_version_file(version_file):
    assert db.reader(version_file) is db.reader(version_file)
    assert db.query(version_file, "SELECT x FROM t WHERE x = $x", {"x": 1})["x"].tolist() == [1]


def test_parameters_are_bound_not_interpolated(version_file):
    hostile = "1 OR 1=1; DROP TABLE t; --"
    assert db.query(version_file, "SELECT x FROM t WHERE CAST(x AS VARCHAR) = $v", {"v": hostile}).empty
    assert db.query(version_file, "SELECT count(*) AS n FROM t")["n"].iloc[0] == 1
