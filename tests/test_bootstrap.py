"""First run: an empty data home gets the demo batch built and published."""
from pipelines import build
from pipelines.bootstrap import ensure_data
from pipelines.home import Home


def test_empty_home_gets_the_demo_once(tmp_path):
    home = Home(tmp_path / "home")
    assert ensure_data(home) == "v000001"
    counts = build.row_counts(home.current_path())
    assert counts["units"] > 80 and counts["cadres"] > 480
    assert (home.root / "demo" / "_truth" / "README.md").exists()
    assert ensure_data(home) == "v000001"  # already published: nothing rebuilt
    assert home.versions() == ["v000001"]
