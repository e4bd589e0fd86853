# syntax=docker/dockerfile:1
# One image for both roles: `RUN_WORKER=false` runs the API only, `RUN_API=false` a worker only
# (see docker-compose.yml and docs/deploy.md).

# ---- build: compile TypeScript and native modules, then drop dev dependencies ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 and argon2 fall back to node-gyp when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
RUN npm run build \
  && npm prune --omit=dev

# ---- runtime: compiled JS and production dependencies only, as a non-root user ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8037 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8037
CMD ["node", "dist/src/main.js"]
