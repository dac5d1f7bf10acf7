#!/usr/bin/env python3
"""Reads a `rolecall export` directory with DuckDB (PyPI duckdb), as Athena or Trino would with
Hive partitioning, and prints what it found as JSON:

    duckdb_check.py DIR parquet|jsonl
"""
import json, sys

import duckdb

root, fmt = sys.argv[1], sys.argv[2]
reader = "read_parquet" if fmt == "parquet" else "read_json_auto"


def table(name, depth):
    glob = f"{root}/table={name}/" + "*/" * depth + f"*.{fmt}"
    return f"{reader}('{glob}', hive_partitioning = true)"


c = duckdb.connect()
out = {
    "scans": c.sql(f"SELECT scan_id, findings, new, fixed, regressed FROM {table('scans', 1)} ORDER BY scan_id").fetchall(),
    "findings_per_scan": c.sql(f"SELECT scan_id, count(*) FROM {table('findings', 2)} GROUP BY scan_id ORDER BY scan_id").fetchall(),
    "accounts": c.sql(f"SELECT DISTINCT CAST(account AS VARCHAR) FROM {table('findings', 2)} ORDER BY 1").fetchall(),
    "statuses": c.sql(f"SELECT scan_id, status, count(*) FROM {table('findings', 2)} GROUP BY ALL ORDER BY ALL").fetchall(),
    "drift_rate": c.sql(f"SELECT scan_id, drift_rate FROM {table('metrics', 1)} WHERE dimension = 'all' ORDER BY scan_id").fetchall(),
    "unique_role_share": c.sql(f"SELECT scan_id, unique_role_share FROM {table('metrics', 1)} WHERE dimension = 'all' ORDER BY scan_id").fetchall(),
    "metric_rows": c.sql(f"SELECT count(*) FROM {table('metrics', 1)}").fetchall()[0][0],
    "state": c.sql(f"SELECT status, count(*) FROM {reader}('{root}/table=finding_state/state.{fmt}') GROUP BY ALL ORDER BY ALL").fetchall(),
    "dates": c.sql(f"SELECT DISTINCT CAST(dt AS VARCHAR) FROM {table('scans', 1)} ORDER BY 1").fetchall(),
}
print(json.dumps(out, default=str))
