# syntax=docker/dockerfile:1
# relm runs its TypeScript sources directly on Node 24 (type stripping): no build step, only the
# production dependencies. Not built in relm's own CI (no image registry is reachable there).

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 RELM_CONFIG=/app/relm.yml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY relm.yml relm.example.yml manifest.yml ./
# The embedded store's folder, for a single process without DATABASE_URL.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (no npm or shell in between), so SIGTERM reaches relm, which drains and exits
# 0 within 9 s. The heap flags are the ones bin/relm.js would otherwise add by re-executing itself.
ENTRYPOINT ["node", "--max-old-space-size=1024", "--max-semi-space-size=8", "bin/relm.js"]
CMD ["start"]
