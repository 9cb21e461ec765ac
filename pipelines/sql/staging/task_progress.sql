SELECT task_id, period, planned_pct, actual_pct, verified_pct, evidence_count, reported_at
FROM raw.task_progress
