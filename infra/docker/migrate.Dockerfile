# syntax=docker/dockerfile:1
# The one-shot migration job: applies every service's SQL migrations, then exits 0.
#   docker build -f infra/docker/migrate.Dockerfile -t parley/migrate .

FROM node:20-slim AS build
WORKDIR /repo
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npx nx run build:bundle-migrate --skip-nx-cache

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PARLEY_PRISMA_DIR=/app/prisma
WORKDIR /app
COPY --from=build --chown=root:root /repo/dist/migrate/ ./
# The SQL migrations in Prisma's layout, and each schema (the runner's folder marker).
COPY --from=build --chown=root:root /repo/prisma/ ./prisma/
USER node
CMD ["node", "--enable-source-maps", "main.js"]
