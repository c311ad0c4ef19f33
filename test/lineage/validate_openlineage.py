"""Validates a JSON-lines file of OpenLineage RunEvents against the official client's model of the spec.

    python validate_openlineage.py EVENTS.jsonl

The OpenLineage JSON schemas ship in no package registry, so the reference is openlineage-python's
generated model of them (openlineage/client/generated/*.py, pinned in requirements.txt): each event is
structured strictly into generated.base.RunEvent and the generated facet classes --

  * every field the class requires is present, and no key the class does not have;
  * each value has the field's type (str, int, bool, an enum, a nested generated class, a list, a map);
  * the classes' attrs validators run (eventTime and nominal times ISO 8601 with a time, producer and
    schema URLs parseable, run ids UUIDs);
  * `schemaURL` equals RunEvent._get_schema() and each standard facet's `_schemaURL` equals its
    class's _get_schema();
  * the structured event serializes back (Serde.to_dict) to the JSON that was read (empty maps aside).

Lakeloop's own facet (lakeloop_databricksRun) is checked against the JSON schema the repository ships
(src/lineage/openlineage/schemas/), by hand: jsonschema is not installed, and that schema uses only
type, required, properties, additionalProperties, pattern and minimum.

Exit 0 when every event passes (printing how many); 1 naming the line, the event and the field of the
first problem of each failing event.
"""

from __future__ import annotations

import enum
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

import attr
from openlineage.client.generated import (
    base,
    error_message_run,
    job_type_job,
    nominal_time_run,
    parent_run,
    processing_engine_run,
)
from openlineage.client.serde import Serde

RUN_FACETS: dict[str, type] = {
    "parent": parent_run.ParentRunFacet,
    "errorMessage": error_message_run.ErrorMessageRunFacet,
    "processing_engine": processing_engine_run.ProcessingEngineRunFacet,
    "nominalTime": nominal_time_run.NominalTimeRunFacet,
}
JOB_FACETS: dict[str, type] = {"jobType": job_type_job.JobTypeJobFacet}

CUSTOM_FACET = "lakeloop_databricksRun"
CUSTOM_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "src/lineage/openlineage/schemas/LakeloopDatabricksRunFacet.json"
)


class Invalid(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")


def json_name(field: attr.Attribute) -> str:  # type: ignore[type-arg]
    # attrs keeps the leading underscore in the attribute's name (_producer) and drops it for __init__.
    return field.name


def init_name(field: attr.Attribute) -> str:  # type: ignore[type-arg]
    return field.alias if getattr(field, "alias", None) else field.name.lstrip("_")


def structure(cls: type, data: Any, path: str, facet_map: dict[str, type] | None = None) -> Any:
    """An instance of the generated attrs class `cls` from `data`, refusing anything it does not model."""
    if not isinstance(data, dict):
        raise Invalid(path, f"expected an object for {cls.__name__}, got {type(data).__name__}")
    # Each class's annotations are read in its own module (bases live in generated/base.py).
    hints = typing.get_type_hints(cls)
    fields = {json_name(f): f for f in attr.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise Invalid(path, f"{cls.__name__} has no field {unknown[0]!r}")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        here = f"{path}.{name}"
        if name not in data:
            if field.default is attr.NOTHING:
                raise Invalid(here, f"required by {cls.__name__}, missing")
            continue
        if not field.init:
            continue  # schemaURL/_schemaURL: set from _get_schema(); compared below
        kwargs[init_name(field)] = value_of(hints[field.name], data[name], here, name)
    try:
        instance = cls(**kwargs)
    except (ValueError, TypeError) as err:  # the attrs validators (dates, UUIDs, URLs)
        raise Invalid(path, f"{cls.__name__} refused it: {err}") from err
    for name, field in fields.items():
        if not field.init and name in data and data[name] != getattr(instance, field.name):
            raise Invalid(
                f"{path}.{name}",
                f"{data[name]!r} is not {cls.__name__}'s schema {getattr(instance, field.name)!r}",
            )
    return instance


def value_of(hint: Any, value: Any, path: str, name: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if value is None:
            if type(None) in args:
                return None
            raise Invalid(path, "null where a value is required")
        return value_of(options[0], value, path, name)
    if origin is dict:
        if not isinstance(value, dict):
            raise Invalid(path, "expected an object")
        facet_base = args[1]
        return {k: facet(facet_base, k, v, f"{path}.{k}") for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise Invalid(path, "expected an array")
        return [value_of(args[0], v, f"{path}[{i}]", name) for i, v in enumerate(value)]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError as err:
            raise Invalid(path, f"{value!r} is not one of {[e.value for e in hint]}") from err
    if attr.has(hint):
        return structure(hint, value, path)
    expected = {str: str, int: int, bool: bool, float: (int, float)}.get(hint)
    if expected is None:
        raise Invalid(path, f"the validator does not know the type {hint!r}")
    if not isinstance(value, expected) or (hint is int and isinstance(value, bool)):
        raise Invalid(path, f"expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value


def facet(facet_base: type, key: str, value: Any, path: str) -> Any:
    if facet_base is base.RunFacet and key in RUN_FACETS:
        return structure(RUN_FACETS[key], value, path)
    if facet_base is base.JobFacet and key in JOB_FACETS:
        return structure(JOB_FACETS[key], value, path)
    if facet_base is base.RunFacet and key == CUSTOM_FACET:
        check_custom(value, path)
        # Kept as the base class with its extra fields, as the client models a custom facet.
        fields = {k: v for k, v in value.items() if not k.startswith("_")}
        instance = base.RunFacet(producer=value["_producer"]).with_additional_properties(**fields)
        instance._schemaURL = value["_schemaURL"]
        return instance
    raise Invalid(path, f"not a facet Lakeloop emits or the validator knows ({facet_base.__name__})")


def check_custom(value: Any, path: str) -> None:
    schema = json.loads(CUSTOM_SCHEMA.read_text())["$defs"]["LakeloopDatabricksRunFacet"]
    if not isinstance(value, dict):
        raise Invalid(path, "expected an object")
    for key in schema["required"]:
        if key not in value:
            raise Invalid(f"{path}.{key}", "required by the facet's schema, missing")
    for key, v in value.items():
        prop = schema["properties"].get(key)
        if prop is None:
            raise Invalid(f"{path}.{key}", "not in the facet's schema (additionalProperties: false)")
        kind = {"string": str, "integer": int}[prop["type"]]
        if not isinstance(v, kind) or isinstance(v, bool):
            raise Invalid(f"{path}.{key}", f"expected {prop['type']}, got {v!r}")
        if "pattern" in prop and not re.search(prop["pattern"], v):
            raise Invalid(f"{path}.{key}", f"{v!r} does not match {prop['pattern']}")
        if "minimum" in prop and v < prop["minimum"]:
            raise Invalid(f"{path}.{key}", f"{v!r} is below {prop['minimum']}")
    if not str(value["_schemaURL"]).endswith("/schemas/LakeloopDatabricksRunFacet.json#/$defs/LakeloopDatabricksRunFacet"):
        raise Invalid(f"{path}._schemaURL", "does not point at the facet's schema in the repository")


def prune(value: Any) -> Any:
    """Without empty maps: the client fills an absent `facets` with {} (a factory default), which says
    the same as leaving it out."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v != {}}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def validate(event: Any) -> None:
    structured = structure(base.RunEvent, event, "event")
    if structured.eventType is None:
        raise Invalid("event.eventType", "missing (Lakeloop always says which transition it is)")
    back = Serde.to_dict(structured)
    if prune(back) != prune(event):
        raise Invalid("event", f"does not survive the client's round trip: {json.dumps(back, sort_keys=True)}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: validate_openlineage.py EVENTS.jsonl", file=sys.stderr)
        return 2
    lines = Path(argv[1]).read_text().splitlines()
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as err:
            print(f"line {number}: not JSON: {err}", file=sys.stderr)
            failures += 1
            continue
        try:
            validate(event)
        except Invalid as err:
            job = event.get("job", {}).get("name") if isinstance(event, dict) else None
            kind = event.get("eventType") if isinstance(event, dict) else None
            print(f"line {number} ({kind} {job}): {err}", file=sys.stderr)
            failures += 1
    if failures:
        print(f"{failures} of {len(lines)} events invalid", file=sys.stderr)
        return 1
    if not lines:
        print("no events to validate", file=sys.stderr)
        return 1
    print(f"{len(lines)} events valid (openlineage-python generated model)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
