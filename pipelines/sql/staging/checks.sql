-- 核验记录 as delivered (the indicator may still be a Chinese name: the build resolves it when it
-- applies the checks; marts.checks has each check's flags and whether it was applied).
SELECT check_id, flag_id, task_id, unit_id, indicator, period, result, verified_value, verified_pct,
       note, checked_at, checked_by
FROM raw.checks
