// The plugin every runtime benchmark calls: answers a small JSON response whatever the request.
export default {
  handleRequest(req) {
    return { statusCode: 200, body: { ok: true, n: typeof req.body === 'string' ? req.body.length : 0 } };
  },
};
