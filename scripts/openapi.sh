#!/usr/bin/env bash
# Regenerates the API reference from the code:
#   docs/openapi/idmap-server.json  `idmap-server openapi` (the document
#                                   served at GET /openapi.json)
#   docs/openapi/auth-server.json   `auth-server openapi`, once auth-server
#                                   has that subcommand (skipped until then)
#   docs/api-reference.html         one self-contained page rendered from
#                                   every docs/openapi/*.json by the Python
#                                   at the end of this file (standard
#                                   library only; no script, font or
#                                   stylesheet from the network, so it works
#                                   offline)
# `scripts/openapi.sh --check` writes nothing and exits 1 when a committed
# file differs from what the code generates (for CI).
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
[ "${1:-}" = "--check" ] && check=true

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/openapi"

bin=$(scripts/build.sh)
"$bin/idmap-server" openapi > "$out/openapi/idmap-server.json"

# auth-server joins once its CLI has an `openapi` subcommand.
if grep -rqs 'Openapi' crates/auth-server/src/main.rs crates/auth-server/src/cli \
    && "$bin/auth-server" openapi > "$out/openapi/auth-server.json" 2>/dev/null \
    && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out/openapi/auth-server.json" 2>/dev/null; then
    :
else
    rm -f "$out/openapi/auth-server.json"
    if [ -f docs/openapi/auth-server.json ]; then
        cp docs/openapi/auth-server.json "$out/openapi/auth-server.json"
    fi
fi

python3 - "$out/openapi"/*.json > "$out/api-reference.html" <<'PY'
"""Renders OpenAPI 3 documents (paths on the command line) as one
self-contained HTML page on stdout: no scripts, fonts or stylesheets from
the network, so the page works offline."""
import html
import json
import sys

METHODS = ["get", "post", "put", "patch", "delete"]


def esc(value):
    return html.escape(str(value), quote=True)


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def type_of(schema, doc_id):
    """A short, linked description of a schema's type."""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        return f'<a href="#{doc_id}-schema-{esc(name)}">{esc(name)}</a>'
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            parts = [type_of(s, doc_id) for s in schema[key]]
            return " | ".join(p for p in parts if p)
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if "array" in str(kind) and "items" in schema:
        return f"array of {type_of(schema['items'], doc_id)}"
    if "object" in str(kind) and isinstance(schema.get("additionalProperties"), dict):
        return f"map of {type_of(schema['additionalProperties'], doc_id)}"
    extra = []
    if "format" in schema:
        extra.append(esc(schema["format"]))
    if "pattern" in schema:
        extra.append(f"<code>{esc(schema['pattern'])}</code>")
    if "enum" in schema:
        extra.append("one of " + ", ".join(f"<code>{esc(v)}</code>" for v in schema["enum"]))
    text = esc(kind)
    return text + (f" ({'; '.join(extra)})" if extra else "")


def body_types(content, doc_id):
    rows = []
    for media, spec in (content or {}).items():
        rows.append(f"<code>{esc(media)}</code> {type_of(spec.get('schema', {}), doc_id)}")
    return "<br>".join(rows)


def render_operation(method, path, op, doc_id):
    out = [f'<section class="op"><h3><span class="m {method}">{method.upper()}</span> <code>{esc(path)}</code></h3>']
    if op.get("description"):
        out.append(f"<p>{esc(op['description'])}</p>")
    for req in op.get("security", []):
        for name, scopes in req.items():
            out.append(f"<p>Auth: <code>{esc(name)}</code> with scope {', '.join(f'<code>{esc(s)}</code>' for s in scopes) or 'any'}</p>")
    params = op.get("parameters", [])
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>")
        for p in params:
            req = " (required)" if p.get("required") else ""
            out.append(f"<tr><td><code>{esc(p['name'])}</code>{req}</td><td>{esc(p.get('in', ''))}</td>"
                       f"<td>{type_of(p.get('schema', {}), doc_id)}</td><td>{esc(p.get('description', ''))}</td></tr>")
        out.append("</table>")
    body = op.get("requestBody")
    if body:
        out.append(f"<p>Body: {body_types(body.get('content'), doc_id)}</p>")
    out.append("<table><tr><th>status</th><th>answer</th><th>description</th></tr>")
    for status, resp in op.get("responses", {}).items():
        out.append(f"<tr><td>{esc(status)}</td><td>{body_types(resp.get('content'), doc_id)}</td>"
                   f"<td>{esc(resp.get('description', ''))}</td></tr>")
    out.append("</table></section>")
    return "\n".join(out)


def render_schema(name, schema, doc_id):
    out = [f'<section class="schema" id="{doc_id}-schema-{esc(name)}"><h3>{esc(name)}</h3>']
    if schema.get("description"):
        out.append(f"<p>{esc(schema['description'])}</p>")
    props = schema.get("properties")
    if props:
        required = set(schema.get("required", []))
        out.append("<table><tr><th>field</th><th>type</th><th>description</th></tr>")
        for prop, spec in props.items():
            req = " (required)" if prop in required else ""
            out.append(f"<tr><td><code>{esc(prop)}</code>{req}</td><td>{type_of(spec, doc_id)}</td>"
                       f"<td>{esc(spec.get('description', '') if isinstance(spec, dict) else '')}</td></tr>")
        out.append("</table>")
        if schema.get("additionalProperties") is False:
            out.append("<p>Unknown fields are rejected.</p>")
    else:
        out.append(f"<p>{type_of(schema, doc_id)}</p>")
    out.append("</section>")
    return "\n".join(out)


def render_document(doc):
    info = doc.get("info", {})
    title = info.get("title", "API")
    doc_id = "".join(c if c.isalnum() else "-" for c in title)
    out = [f'<h1 id="{doc_id}">{esc(title)} <small>{esc(info.get("version", ""))}</small></h1>']
    if info.get("description"):
        out.append(f"<p>{esc(info['description'])}</p>")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        out.append(f"<p>Security scheme <code>{esc(name)}</code>: {esc(scheme.get('type', ''))} "
                   f"{esc(scheme.get('scheme', ''))} {esc(scheme.get('bearerFormat', ''))}. {esc(scheme.get('description', ''))}</p>")
    by_tag = {}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, item[method]))
    tags = {t["name"]: t.get("description", "") for t in doc.get("tags", [])}
    for tag in sorted(by_tag, key=lambda t: (list(tags).index(t) if t in tags else 99, t)):
        out.append(f"<h2>{esc(tag)}</h2>")
        if tags.get(tag):
            out.append(f"<p>{esc(tags[tag])}</p>")
        out.extend(render_operation(m, p, op, doc_id) for m, p, op in by_tag[tag])
    out.append("<h2>Schemas</h2>")
    for name, schema in sorted(doc.get("components", {}).get("schemas", {}).items()):
        out.append(render_schema(name, schema, doc_id))
    return title, doc_id, "\n".join(out)


STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px}
table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#fafafa}
.op,.schema{border-top:1px solid #eee;padding-top:.5rem}
.m{display:inline-block;min-width:3.5em;text-align:center;color:#fff;border-radius:3px;font-size:.85em}
.get{background:#2b7bb9}.post{background:#3c9a4b}.put,.patch{background:#b9822b}.delete{background:#b93b2b}
nav a{margin-right:1rem}
"""


def main(paths):
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs.append(render_document(json.load(f)))
    nav = " ".join(f'<a href="#{doc_id}">{esc(title)}</a>' for title, doc_id, _ in docs)
    body = "\n".join(part for _, _, part in docs)
    print(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>idmap API reference</title><style>{STYLE}</style></head>
<body><p><em>Generated from docs/openapi/*.json by scripts/openapi.sh; do not edit.</em></p>
<nav>{nav}</nav>
{body}
</body></html>""")


if __name__ == "__main__":
    main(sys.argv[1:])
PY


if $check; then
    status=0
    for f in "$out"/openapi/*.json; do
        diff -q "$f" "docs/openapi/$(basename "$f")" >/dev/null 2>&1 || {
            echo "docs/openapi/$(basename "$f") is out of date: run scripts/openapi.sh" >&2
            status=1
        }
    done
    diff -q "$out/api-reference.html" docs/api-reference.html >/dev/null 2>&1 || {
        echo "docs/api-reference.html is out of date: run scripts/openapi.sh" >&2
        status=1
    }
    exit $status
fi

mkdir -p docs/openapi
cp "$out"/openapi/*.json docs/openapi/
cp "$out/api-reference.html" docs/api-reference.html
echo "wrote docs/openapi/*.json and docs/api-reference.html"
