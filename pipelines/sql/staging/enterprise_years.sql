SELECT enterprise_id, year, tax, value_added, energy_tce, emission_t, employees, rd_expense, revenue
FROM raw.enterprise_years
