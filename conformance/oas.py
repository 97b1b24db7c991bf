"""OpenAPI helpers shared by the conformance classes (pure functions)."""

from __future__ import annotations

from typing import Any


def external_refs(node: Any, out: set[str] | None = None) -> set[str]:
    """The documents other than this one that ``$ref``s point to (fragment removed)."""
    out = set() if out is None else out
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            out.add(ref.split("#")[0])
        for v in node.values():
            external_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            external_refs(v, out)
    return out


def schema_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON pointer, message) of violations of the OpenAPI 3.0 or 3.1 document schema,
    shallowest first."""
    import jsonschema
    from openapi_spec_validator.schemas import schema_v30, schema_v31
    version = str(doc.get("openapi", ""))
    schema, cls = ((schema_v31, jsonschema.Draft202012Validator) if version.startswith("3.1")
                   else (schema_v30, jsonschema.Draft4Validator))
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: len(list(e.absolute_path)))
    return [("/" + "/".join(str(p) for p in e.absolute_path), e.message[:200]) for e in errors]


def semantic_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """openapi-spec-validator's full validation (only for self-contained documents)."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
    cls = OpenAPIV31SpecValidator if str(doc.get("openapi", "")).startswith("3.1") \
        else OpenAPIV30SpecValidator
    out = []
    try:
        cls(doc).validate()
    except OpenAPIValidationError as exc:
        path = "/".join(str(p) for p in getattr(exc, "absolute_path", []) or [])
        out.append((f"/{path}", str(exc.message)[:200]))
    return out
