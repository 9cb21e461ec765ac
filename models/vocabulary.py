"""The closed vocabularies the input contract, the reference YAML and the models share.

They live in ``models/`` because the policy checks (models/config_schema.py) need them and
``models/`` imports nothing from ``pipelines/``; pipelines/contract.py imports them from here.
"""
from __future__ import annotations

RATER_GROUPS = ("上级", "同级", "下级", "群众", "服务对象")
GRADE_WORDS = ("好", "较好", "一般", "差")
INDICATOR_KINDS = ("volume", "efficiency", "hard", "rate", "other")
FREQUENCIES = ("month", "quarter", "year")
