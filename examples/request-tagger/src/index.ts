// request-tagger: an example middleware plugin (kind middleware, in-process).
// onRequest may add to req.context or answer at once; onResponse may replace the response.
import type { MiddlewarePlugin, PluginRequest, PluginResponse } from 'plugway/sdk';

export default function requestTagger(config: { tag?: string }): MiddlewarePlugin {
  const tag = config.tag ?? 'tagged';
  return {
    onRequest(req: PluginRequest): PluginResponse | undefined {
      if (req.headers['x-block'] !== undefined) {
        return { statusCode: 403, body: { error: { code: 'BLOCKED', message: 'blocked by request-tagger' }, request_id: req.id } };
      }
      const tags = (req.context.tags as string[] | undefined) ?? [];
      req.context.tags = [...tags, tag];
      return undefined;
    },
    onResponse(_req: PluginRequest, res: PluginResponse): PluginResponse {
      return { ...res, headers: { ...(res.headers ?? {}), 'x-tagged-by': tag } };
    },
  };
}
