"""The plugin the process-runtime benchmark calls (Python): the same answer as bench-plugin.mjs."""


def handle_request(req, ctx):
    body = req.body
    return {"status_code": 200, "body": {"ok": True, "n": len(body) if isinstance(body, str) else 0}}
