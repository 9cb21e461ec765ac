-- Unit boundaries (from units.geojson) for maps: one GeoJSON geometry per unit.
SELECT unit_id, geometry
FROM raw.unit_boundaries
