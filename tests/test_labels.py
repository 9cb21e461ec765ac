"""Code labels (models/labels.py): one source for every layer, so the write side never imports ui/."""
import ast
from pathlib import Path

from models import labels
from ui import format as fmt

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_pipelines_and_models_never_import_ui():
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p) if m == "ui" or m.startswith("ui."))
                 for folder in ("pipelines", "models") for p in (ROOT / folder).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_pages_read_the_same_labels_the_briefing_does():
    from pipelines import briefing

    assert fmt.BAND_LABELS is labels.BAND_LABELS is briefing.BAND_LABELS
    assert fmt.FLAG_LABELS is labels.FLAG_LABELS and fmt.flags_text is labels.flags_text is briefing.flags_text
    assert labels.flags_text("not_separable;few_obs;brand_new") == "不可分离、样本少、brand_new"
    assert labels.flags_text(float("nan")) == labels.DASH == fmt.DASH
    assert labels.BAND_LABELS["中"] == "无显著差异"


def test_quadrant_codes_read_as_the_names_in_use():
    """Codes are data; names are quadrants.yaml's (here a renamed set passed in)."""
    import pandas as pd

    names = {"high_high": "甲区", "high_low": "乙区", "low_high": "丙区", "low_low": "丁区", "unidentified": "未定"}
    codes = pd.Series(["high_high", "low_low", "unidentified", None, "mystery"])
    assert labels.quadrant_label(codes, names).tolist()[:3] == ["甲区", "丁区", "未定"]
    assert labels.is_missing(labels.quadrant_label(codes, names)[3])
    assert labels.quadrant_label(codes, names)[4] == "mystery"
    assert labels.quadrant_code("乙区", names) == "high_low" and labels.quadrant_code("low_high", names) == "low_high"
    assert labels.quadrant_code("不知道", names) == "unidentified"
    group = labels.quadrant_group(pd.Series(["high_high", "unidentified", "unidentified"]),
                                  pd.Series(["determined", "uncertain", "unidentified"]))
    assert group.tolist() == ["high_high", "uncertain", "unidentified"]
    assert list(labels.quadrant_group_names(names).items()) == [
        ("high_high", "甲区"), ("high_low", "乙区"), ("low_high", "丙区"), ("low_low", "丁区"),
        ("uncertain", labels.UNCERTAIN_NAME), ("unidentified", "未定")]


def test_quadrant_names_default_to_the_policy_in_use():
    from models.config import load_reference

    assert labels.quadrant_names() == {k: str(v) for k, v in load_reference("quadrants")["names"].items()}
