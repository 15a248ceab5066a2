# SCIM identity server: a production image that talks to MongoDB (MONGODB_URI is required; the
# embedded engine is for development and is not built into the image).
#
#   docker build -t scim-identity-server .
#   docker run -e MONGODB_URI='mongodb://…/scim?replicaSet=rs0' -e SCIM_BEARER_TOKEN=… -p 8080:8080 scim-identity-server
#
# The command-line tools run from the same image, against the same MONGODB_URI:
#   docker run --rm -e MONGODB_URI=… scim-identity-server node dist/src/cli/tokens.js list
#   docker compose exec app npm run -s tokens -- create --name okta --scopes scim:read,scim:write
#
# Node 24 is an LTS line (supported until April 2028); the code keeps to the Node 20 API, on which we
# develop and test. Debian 13 (trixie) is the supported Debian release.
ARG NODE_IMAGE=node:24.19.0-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
COPY schemas ./schemas
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
# What the server and the CLIs (dist/src/cli: tokens, policy, import) read at run time: the compiled
# code, its production dependencies, package.json (npm run <cli>, the repository root) and schemas/
# (the example policy). Files to import or policies of your own are mounted (docker run -v).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY schemas ./schemas
USER node
EXPOSE 8080
# Liveness: /healthz; readiness (the database answers): /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM finishes in-flight requests and webhook deliveries, then exits.
CMD ["node", "dist/src/server.js"]
