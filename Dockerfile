# plugway's container image: build dist/ in one stage, run it with production dependencies only.
# docs/production.md explains it; test/operations/production-files.test.ts lints this file and runs
# the build stage's `npm ci && npm run build` step on the files it copies, without a Docker engine.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PLUGWAY_HOST=0.0.0.0 \
    PLUGWAY_PORT=8080 \
    PLUGWAY_STATE_DIR=/var/lib/plugway \
    PLUGWAY_LOG_TIMESTAMP=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY plugins ./plugins
RUN mkdir -p /var/lib/plugway /etc/plugway/plugins && chown node:node /var/lib/plugway
USER node
EXPOSE 8080
VOLUME ["/var/lib/plugway"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PLUGWAY_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/plugway.js"]
CMD ["serve", "--plugins", "/etc/plugway/plugins"]
