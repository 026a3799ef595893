# One image for every service: the command names the entry (default: the gateway), e.g.
#   docker run pneumatic services/auth/dist/main.js
# Build: docker build -t pneumatic .

# --- build: compile TypeScript with the dev dependencies, then drop them, and PGlite (embedded mode only) ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY libs/contracts/package.json libs/contracts/
COPY libs/platform/package.json libs/platform/
COPY libs/testkit/package.json libs/testkit/
COPY services/auth/package.json services/auth/
COPY services/conversations/package.json services/conversations/
COPY services/gateway/package.json services/gateway/
COPY services/messages/package.json services/messages/
COPY services/presence/package.json services/presence/
COPY services/exporter/package.json services/exporter/
COPY bench/package.json bench/
# The lockfile lists every platform's optional packages (scripts/regenerate-lockfile.sh).
RUN npm ci --no-audit --no-fund
COPY libs libs
COPY services services
RUN npx tsc -b libs/contracts libs/platform services/auth services/conversations services/gateway services/messages services/presence services/exporter \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf libs/testkit node_modules/@pneumatic/testkit bench node_modules/@pneumatic/bench \
 && rm -rf node_modules/@electric-sql/pglite node_modules/@types \
 && rm -rf libs/*/src services/*/src libs/*/*.tsbuildinfo services/*/*.tsbuildinfo \
 && find libs/*/dist services/*/dist \( -name '*.map' -o -name '*.test.*' \) -delete

# --- runtime: compiled JavaScript, production dependencies, an unprivileged user ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/libs libs
COPY --from=build --chown=root:root /app/services services
# The code stays root-owned and read-only to the process that runs it.
USER node
EXPOSE 8000 9100
ENTRYPOINT ["node"]
CMD ["services/gateway/dist/main.js"]
