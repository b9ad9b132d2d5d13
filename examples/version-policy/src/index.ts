// version-policy: a handler plugin that runs in worker threads and uses an npm package (semver).
import semver from 'semver';
import type { PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';

interface Config {
  policy: string;
}

const bad = (message: string): PluginResponse => ({ statusCode: 400, body: { error: message } });

export default {
  async init(ctx: PluginContext<Config>) {
    if (!semver.validRange(ctx.config.policy)) throw new Error(`config.policy "${ctx.config.policy}" is not a semver range`);
    ctx.logger.info({ policy: ctx.config.policy }, 'version policy ready');
  },

  async handleRequest(req: PluginRequest, ctx: PluginContext<Config>): Promise<PluginResponse> {
    if (req.path.endsWith('/versions/check')) {
      const version = String(req.query.version ?? '');
      const range = String(req.query.range ?? ctx.config.policy);
      if (!semver.valid(version)) return bad(`"${version}" is not a semantic version`);
      if (!semver.validRange(range)) return bad(`"${range}" is not a semver range`);
      return { statusCode: 200, body: { version, range, satisfies: semver.satisfies(version, range) } };
    }
    if (req.path.endsWith('/versions/latest')) {
      const versions = (req.body as { versions?: unknown })?.versions;
      if (!Array.isArray(versions)) return bad('send {"versions": ["1.0.0", ...]}');
      const latest = semver.maxSatisfying(versions.map(String), ctx.config.policy);
      await ctx.storage.set('last-latest', latest);
      return { statusCode: 200, body: { policy: ctx.config.policy, latest } };
    }
    return { statusCode: 404, body: { error: 'no such route' } };
  },
};
