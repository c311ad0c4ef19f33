#!/usr/bin/env python3
"""Extracts the Jobs API response models of databricks-sdk-go (service/jobs/model.go) into JSON.

The property test (test/databricks/response-shapes.property.test.ts) generates responses from these
shapes, so it tests Lakeloop against the models of a client nobody here wrote, not against our own
schemas. Re-run after bumping the SDK commit:

    python3 scripts/extract-sdk-jobs-models.py MODEL_GO COMMIT > test/fixtures/databricks-sdk-go-jobs-models.json

Output: {"source", "structs": {Name: [{"json", "type", "required"}]}, "enums": {Name: [values]}}.
Go types are kept as written (int64, string, []RunTask, *RunState, map[string]string, EnumName).
"""
import json
import re
import sys

ROOTS = [
    "Run", "RunOutput", "SubmitRunResponse", "RunNowResponse", "RepairRunResponse",
    "Job", "ListJobsResponse", "ExportRunOutput", "ListRunsResponse",
]

def main(path, commit):
    text = open(path).read()
    structs, enums = {}, {}
    for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", text, re.S | re.M):
        fields = []
        for line in m.group(2).splitlines():
            f = re.match(r'\s*(\w+)\s+(\S+)\s+`json:"([^",]*)(,omitempty)?"', line)
            if f and f.group(3) not in ("-", ""):
                fields.append({"json": f.group(3), "type": f.group(2), "required": f.group(4) is None})
        structs[m.group(1)] = fields
    for m in re.finditer(r"^type (\w+) string$", text, re.M):
        enums[m.group(1)] = re.findall(r"^const \w+ " + m.group(1) + r" = `([^`]*)`", text, re.M)
    # The closure of types reachable from the roots.
    keep, todo = set(), list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep or name not in structs:
            continue
        keep.add(name)
        for f in structs[name]:
            base = re.sub(r"^(\[\]|\*|map\[string\])+", "", f["type"])
            todo.append(base)
    used_enums = {re.sub(r"^(\[\]|\*|map\[string\])+", "", f["type"]) for n in keep for f in structs[n]}
    out = {
        "source": f"databricks/databricks-sdk-go@{commit} service/jobs/model.go",
        "roots": ROOTS,
        "structs": {n: structs[n] for n in sorted(keep)},
        "enums": {n: v for n, v in sorted(enums.items()) if n in used_enums},
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
