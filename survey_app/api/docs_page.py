"""The readable page of the OpenAPI document at /api/v1/docs: paths, parameters, schemas and the
problem types, rendered on the server (no scripts: the CSP forbids other origins' anyway)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .problems import TITLES, TYPE_BASE

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict | None) -> str:
    """A schema's name when it is a reference, else its type."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_ref_name(schema.get('items'))}]"
    kind = schema.get("type", "")
    return " | ".join(kind) if isinstance(kind, list) else str(kind)


@bp.get("/docs")
def docs():
    """The API described for people: each operation, its parameters and responses, each schema."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operations.append((method.upper(), path, item[method]))
    return render_template("api/reference.html", spec=spec, operations=operations, ref_name=_ref_name,
                           problems=[(status, TYPE_BASE.rsplit("#", 1)[1] + slug, zh, en)
                                     for status, (slug, zh, en) in sorted(TITLES.items())])
