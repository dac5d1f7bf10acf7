#!/usr/bin/env python3
"""Validates `rolecall scan --format ocsf` with Prowler's OCSF models (PyPI py-ocsf-models, a
second implementation of the OCSF 1.5.0 schema) and the schema's own rules:

    ocsf_check.py FINDINGS.json

Every record must parse as a DetectionFinding; type_uid must be class_uid * 100 + activity_id
(the schema's definition); finding_info.uid must be unique; time is milliseconds since the epoch.
Prints the number of records and of suppressed ones.
"""
import json, sys

from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

records = json.load(open(sys.argv[1]))
assert isinstance(records, list) and records, "a JSON array of findings"
uids = set()
suppressed = 0
for i, r in enumerate(records):
    f = DetectionFinding.model_validate(r)
    assert f.class_uid == 2004 and f.category_uid == 2, i
    assert r["type_uid"] == r["class_uid"] * 100 + r["activity_id"], (i, r["type_uid"])
    assert r["metadata"]["version"] == OCSF_VERSION, r["metadata"]["version"]
    assert "cloud" in r["metadata"]["profiles"]
    assert f.cloud is not None and f.cloud.provider == "AWS" and f.cloud.account.uid, i
    assert 10**12 < r["time"] < 10**14, ("milliseconds", r["time"])
    assert f.finding_info.uid not in uids, f.finding_info.uid
    uids.add(f.finding_info.uid)
    assert f.resources, i
    suppressed += int(r["status_id"] == 3)
print(json.dumps({"records": len(records), "suppressed": suppressed}))
