// echo: an in-process handler that sends back what it received; handy for trying middleware.
import type { HandlerPlugin, PluginRequest } from 'plugway/sdk';

const echo: HandlerPlugin = {
  handleRequest(req: PluginRequest) {
    return {
      statusCode: 200,
      body: { body: req.body ?? null, query: req.query, context: req.context, user_id: req.userId ?? null },
    };
  },
};

export default echo;
