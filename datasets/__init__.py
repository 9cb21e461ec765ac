"""Seeded synthetic worlds with known truth, used by the demo (``python -m pipelines demo``), the
tests and ``bench/`` only; nothing here opens a database, writes a file or belongs to the
product's read path.

* ``county``: the demo county (all input tables and the truth, in memory; ``pipelines.demo``
  writes them).
* ``attribution_world``: panels with known cadre, unit and period effects for the attribution.
* ``anomaly_world``: the anomaly benchmark with planted anomalies and its metrics.
* ``rotation``: the one rotation simulator (who holds which post when) all three use.

Each generator's docstring states the true parameters the tests recover."""
