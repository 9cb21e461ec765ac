"""Seeded synthetic worlds with known truth: the demo county and the model-test panels.

Shared by the demo (``python -m pipelines demo``), the tests and ``bench/``; nothing here opens a
database or belongs to the product's read path."""
