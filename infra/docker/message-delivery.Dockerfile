# syntax=docker/dockerfile:1
# message-delivery: built with Nx into one bundled file (only what the app imports), run on a slim
# Node image as the unprivileged `node` user. Build from the repository root:
#   docker build -f infra/docker/message-delivery.Dockerfile -t parley/message-delivery .

FROM node:20-slim AS build
WORKDIR /repo
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true
# The lock pins every package; postinstall generates the Prisma clients (no engine download).
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npx nx run message-delivery:build --skip-nx-cache

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PARLEY_HTTP_PORT=8080
WORKDIR /app
COPY --from=build --chown=root:root /repo/dist/apps/message-delivery/ ./
USER node
EXPOSE 8080
# Ready = NATS connected and the database answering (see /health/ready).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PARLEY_HTTP_PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "main.js"]
