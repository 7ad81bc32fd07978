# Build: full Node image with npm; compile TypeScript to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

# Runtime: distroless, no shell, no package manager, non-root — we dogfood what we enforce.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 65532:65532
# Runtime environment: see src/cli/runtime-flags.ts. The revision built, for distroless_guard_build_info
# (`--build-arg REVISION=$(git rev-parse HEAD)`).
ARG REVISION=unknown
ENV MALLOC_ARENA_MAX=2
ENV DISTROLESS_GUARD_REVISION=$REVISION
# 8443: the webhooks (HTTPS); 8080: /metrics (plain HTTP).
EXPOSE 8443 8080
# The entrypoint is node with its runtime flags (src/cli/runtime-flags.ts) and the CLI, so the command (CMD, or a
# Deployment's args, which replace CMD only) is the CLI's alone. This CMD reads TLS from a Secret mounted at /tls
# (cert-manager's); the base Deployment's args have the guard keep its own certificate Secret instead.
ENTRYPOINT ["/nodejs/bin/node", "--expose-gc", "--max-semi-space-size=8", "--no-memory-reducer", "--heap-growing-percent=100", "dist/cli/main.js"]
CMD ["serve", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key"]
