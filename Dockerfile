# Lakeloop worker image: compiled JavaScript, a pre-built workflow bundle (no webpack at start-up),
# production dependencies only, running as the unprivileged `node` user.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (the build) needs the sources, copied below so that a
# source change does not re-install dependencies; the build runs explicitly after them.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-workflow-bundle.ts ./scripts/
RUN npm run build \
 && node lib/scripts/build-workflow-bundle.js lib/workflow-bundle.js --tracing

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    LAKELOOP_WORKFLOW_BUNDLE=/app/lib/workflow-bundle.js
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` compiles TypeScript, which a production install has neither the compiler
# nor the sources for; lib/ comes compiled from the build stage.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/lib ./lib
USER node
# Worker.run() turns SIGTERM into a graceful shutdown (LAKELOOP_SHUTDOWN_GRACE_SECONDS).
STOPSIGNAL SIGTERM
CMD ["node", "lib/src/worker.js"]
