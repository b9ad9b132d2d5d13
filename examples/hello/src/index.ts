// hello: an in-process handler plugin. Default export: a factory receiving the validated config.
import type { HandlerPlugin, PluginRequest, PluginResponse } from 'plugway/sdk';

export default function hello(config: { greeting?: string }): HandlerPlugin {
  const greeting = config.greeting ?? 'Hello';
  return {
    handleRequest(req: PluginRequest): PluginResponse {
      const name = req.params.name ?? 'world';
      return { statusCode: 200, body: { message: `${greeting}, ${name}!`, request_id: req.id } };
    },
  };
}
