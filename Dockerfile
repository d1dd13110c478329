# golb image: one image for every role — the launcher `golb` is the entrypoint:
#   docker run golb:0.1.0 controlplane --config /etc/golb/docker.conf --listen 0.0.0.0 --admin-listen 0.0.0.0
#   docker run golb:0.1.0 dataplane --control-plane controlplane:50051 --admin-port 8081
#   docker run golb:0.1.0 --config /etc/golb/my.conf            (all-in-one)
# `golbctl` is on the PATH inside the image. Build: docker build -t golb:0.1.0 .
# See docs/deployment.md.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: install every dependency, generate proto types, compile TypeScript to dist/ -------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so source edits reuse this layer. Scripts are skipped here because the
# `prepare` script compiles the sources, which are not copied yet; the build runs below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.dashboard.json ./
COPY scripts/gen-proto.mjs scripts/copy-assets.mjs ./scripts/
COPY proto ./proto
COPY controlplane ./controlplane
COPY dataplane ./dataplane
COPY cli ./cli
COPY bin ./bin
COPY conf ./conf
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node LTS slim, production dependencies and compiled code only, non-root ---------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root and read-only to the user that runs golb.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/proto/golb ./proto/golb
COPY --from=build /app/conf ./conf
RUN chmod 0755 bin/*.js \
 && ln -s /app/bin/golb.js /usr/local/bin/golb \
 && ln -s /app/bin/run.js /usr/local/bin/golbctl \
 && mkdir -p /var/cache/golb /var/lib/golb \
 && chown 1000:1000 /var/cache/golb /var/lib/golb \
 && chmod 0700 /var/cache/golb /var/lib/golb
# The only places golb writes: /var/cache/golb for a data plane's --cache-dir, /var/lib/golb for a
# control plane's --state-dir. Mount a volume there: a new volume takes over the directory's
# owner, so the golb user can write to it.
# The `node` user of the base image, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# 8080 traffic (data plane), 8081 admin HTTP (control plane API, data plane /ready /live),
# 50051 control plane gRPC (data planes and golbctl).
EXPOSE 8080 8081 50051
# Healthy = the data plane has its first config and is not shutting down (GET /ready on its
# --admin-port 8081). Other roles point GOLB_HEALTH_URL elsewhere: the control plane at
# http://127.0.0.1:8081/api/health, a demo backend at its /health.
ENV GOLB_HEALTH_URL=http://127.0.0.1:8081/ready
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.GOLB_HEALTH_URL, { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (docker stop, Kubernetes), so a data plane
# finishes in-flight requests before it exits; SIGHUP makes a control plane re-read its config.
ENTRYPOINT ["node", "bin/golb.js"]
CMD ["--help"]
