// `plugway plugin create --runtime process --language python`: a Python plugin (standard library and
// plugway's SDK only), its fixtures, and a unittest that `plugway plugin test` runs (no pytest).

import type { PluginKind } from '../../sdk/types.js';

export const PYTHON_KINDS: readonly PluginKind[] = ['handler', 'auth', 'middleware', 'action'];

export interface PythonTemplate {
  manifest: string;
  source: string;
  fixtures: unknown[];
  test: string;
}

export function pythonKindTemplate(kind: PluginKind, id: string): PythonTemplate {
  const mod = id.replace(/-/g, '_');
  switch (kind) {
    case 'auth':
      return {
        manifest: 'capabilities:\n  - authenticate\n',
        source: `"""${id}: an auth plugin. Every request to an endpoint with auth: required is authenticated here."""

from __future__ import annotations

from typing import Any, Dict, Optional

from plugway import Context, Principal, Request

# Demo tokens; read real ones from ctx.config or verify a signature (see examples/python-jwt-auth).
TOKENS: Dict[str, Principal] = {"demo-token": {"id": "demo", "roles": ["user"], "permissions": ["items:read"]}}


def authenticate(req: Request, ctx: Context) -> Optional[Principal]:
    auth = req.header("authorization") or ""
    if not auth.lower().startswith("bearer "):
        return None
    return TOKENS.get(auth[7:].strip())


def authorize(user: Dict[str, Any], resource: str, action: str, ctx: Context) -> bool:
    return f"{resource}:{action}" in user.get("permissions", []) or "admin" in user.get("roles", [])
`,
        fixtures: [
          { name: 'a known token', call: { method: 'authenticate', request: { method: 'GET', path: '/', headers: { authorization: 'Bearer demo-token' } } }, expect: { result: { id: 'demo' } } },
          { name: 'no token', call: { method: 'authenticate', request: { method: 'GET', path: '/' } }, expect: { result: null } },
        ],
        test: testFile(
          mod,
          `    def test_known_token(self) -> None:
        self.assertEqual(self.plugin.authenticate({"path": "/", "headers": {"Authorization": "Bearer demo-token"}})["id"], "demo")

    def test_unknown_token(self) -> None:
        self.assertIsNone(self.plugin.authenticate({"path": "/", "headers": {"authorization": "Bearer nope"}}))

    def test_authorize(self) -> None:
        user = {"id": "demo", "permissions": ["items:read"]}
        self.assertTrue(self.plugin.authorize(user, "items", "read"))
        self.assertFalse(self.plugin.authorize(user, "items", "delete"))
`,
        ),
      };
    case 'middleware':
      return {
        manifest: 'middleware:\n  priority: 10\n  routes: ["/*"]\n',
        source: `"""${id}: a middleware. on_request may answer early; on_response may replace the response."""

from __future__ import annotations

from typing import Optional

from plugway import Context, Request, Response


def on_request(req: Request, ctx: Context) -> Optional[Response]:
    if req.header("x-blocked") == "yes":
        return {"status_code": 403, "body": {"error": "blocked by ${id}"}}
    req.context["${mod}"] = "seen"
    return None


def on_response(req: Request, res: Response, ctx: Context) -> Optional[Response]:
    headers = dict(res.get("headers") or {})
    headers["x-${id}"] = "1"
    return {**res, "headers": headers}
`,
        fixtures: [
          { name: 'blocks a flagged request', call: { method: 'onRequest', request: { method: 'GET', path: '/', headers: { 'x-blocked': 'yes' } } }, expect: { result: { statusCode: 403 } } },
        ],
        test: testFile(
          mod,
          `    def test_blocks(self) -> None:
        self.assertEqual(self.plugin.on_request({"path": "/", "headers": {"x-blocked": "yes"}})["status_code"], 403)

    def test_passes_and_tags(self) -> None:
        self.assertIsNone(self.plugin.on_request({"path": "/"}))
        res = self.plugin.on_response({"path": "/"}, {"status_code": 200, "body": "ok"})
        self.assertEqual(res["headers"]["x-${id}"], "1")
`,
        ),
      };
    case 'action':
      return {
        manifest: 'actions:\n  - greet\n',
        source: `"""${id}: an action plugin. The host calls execute(action, params) for actions listed in plugin.yaml."""

from __future__ import annotations

from typing import Any, Dict

from plugway import Context, PluginError


def execute(action: str, params: Dict[str, Any], ctx: Context) -> Any:
    if action == "greet":
        return {"message": f"Hello, {params.get('name', 'world')}!"}
    raise PluginError("PLW_ERR_ACTION_NOT_ALLOWED", f"unknown action {action}")
`,
        fixtures: [{ name: 'greet', call: { method: 'execute', args: ['greet', { name: 'Ada' }] }, expect: { result: { message: 'Hello, Ada!' } } }],
        test: testFile(
          mod,
          `    def test_greet(self) -> None:
        self.assertEqual(self.plugin.execute("greet", {"name": "Ada"}), {"message": "Hello, Ada!"})
`,
        ),
      };
    default:
      return {
        manifest: `endpoints:\n  - path: /${id}/hello\n    method: GET\n    description: Greets ?name=\n`,
        source: `"""${id}: a handler. A module of top-level functions named after the methods is a complete plugin."""

from __future__ import annotations

from plugway import Context, Request, Response, response


def init(ctx: Context) -> None:
    ctx.logger.info("${id} initialized")


def handle_request(req: Request, ctx: Context) -> Response:
    name = req.query.get("name", "world")
    count = int(ctx.storage.get("count") or 0) + 1
    ctx.storage.set("count", count)
    return response(200, {"message": f"Hello, {name}!", "count": count})


async def health_check(ctx: Context) -> dict:
    return {"status": "healthy"}
`,
        fixtures: [{ name: 'greets by name', request: { method: 'GET', path: `/${id}/hello`, query: { name: 'Ada' } }, expect: { status: 200, body: { message: 'Hello, Ada!' } } }],
        test: testFile(
          mod,
          `    def test_hello(self) -> None:
        res = self.plugin.handle_request({"method": "GET", "path": "/hello", "query": {"name": "Ada"}})
        self.assertEqual(res["status_code"], 200)
        self.assertEqual(res["body"]["message"], "Hello, Ada!")
        self.assertEqual(self.plugin.storage["count"], 1)

    def test_health(self) -> None:
        self.assertEqual(self.plugin.health_check()["status"], "healthy")
`,
        ),
      };
  }
}

function testFile(mod: string, body: string): string {
  return `"""Unit tests of the plugin, standard library only. \`plugway plugin test .\` runs them (with plugway's SDK
on the path); by hand: PYTHONPATH=<plugway>/sdk/python python3 -m unittest discover -p 'test_*.py'."""

import unittest

from plugway.testing import load


class ${mod.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}Test(unittest.TestCase):
    def setUp(self) -> None:
        self.plugin = load("plugin.py")

${body}

if __name__ == "__main__":
    unittest.main()
`;
}

export function pythonReadme(id: string, kind: PluginKind): string {
  return `# ${id}

A \`${kind}\` plugin for plugway in Python, running in the \`process\` runtime: its own process under
bubblewrap (no network, no other files, an empty environment) with the limits in plugin.yaml.

| file | what |
| --- | --- |
| plugin.yaml | the manifest: id, kind, runtime, resources${kind === 'handler' ? ', endpoints' : ''} |
| plugin.py | the plugin: top-level functions named after the methods (standard library and \`plugway\` only) |
| fixtures.json | sample calls and the answers expected (used by \`plugway plugin test\`) |
| test_plugin.py | unit tests (unittest, no pytest) |

\`\`\`sh
plugway plugin validate .     # manifest and entry
plugway plugin test .         # test_plugin.py, then through the real host in its sandbox: lifecycle, fixtures, timings
plugway plugin pack .         # ${id}-0.1.0.tgz for plugway plugin install
\`\`\`

See docs/process-abi.md in plugway for the SDK and the wire protocol under it.
`;
}
