"""First run: an empty data home gets the demo batch built and published."""
from pipelines import build
from pipelines.bootstrap import ensure_data
from pipelines.home import Home


def test_empty_home_gets_the_demo_once(tmp_path, monkeypatch):
    # what is checked here is the first-run flow, not the analytics (the demo world tests build those)
    monkeypatch.setattr("pipelines.steps.default_steps", lambda home=None: [])
    home = Home(tmp_path / "home")
    assert ensure_data(home) == "v000001"
    counts = build.row_counts(home.current_path())
    assert counts["units"] > 80 and counts["cadres"] > 480
    assert (home.root / "demo" / "_truth" / "README.md").exists()
    assert ensure_data(home) == "v000001"  # already published: nothing rebuilt
    assert home.versions() == ["v000001"]
    assert build.is_demo(home.current_path())  # marked demo by provenance, not by a file in the batch
    assert not home.has_received()


def test_a_home_that_received_real_data_never_gets_the_demo(tmp_path):
    """A first real ingest that crashes mid-build leaves no version: the app must not fill the
    user's folder with demo people that the next real batch would merge with."""
    import pytest

    from pipelines.ingest import ingest
    from tests.conftest import write_valid_batch

    home = Home(tmp_path / "home")

    def crash(con):
        raise RuntimeError("killed mid-build")

    with pytest.raises(RuntimeError):
        ingest(write_valid_batch(tmp_path / "real"), home, steps=[crash])
    assert home.current() is None
    assert ensure_data(home) is None
    assert not (home.root / "demo").exists() and home.versions() == []
