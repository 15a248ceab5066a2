# SCIM identity server: a production image that talks to MongoDB (MONGODB_URI is required; the
# embedded engine is for development and is not built into the image).
#
#   docker build -t scim-identity-server .
#   docker run -e MONGODB_URI='mongodb://…/scim?replicaSet=rs0' -e SCIM_BEARER_TOKEN=… -p 8080:8080 scim-identity-server

FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
COPY schemas ./schemas
RUN npm run build

FROM node:20.19-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY schemas ./schemas
USER node
EXPOSE 8080
# Liveness: /healthz; readiness (the database answers): /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM finishes in-flight requests and webhook deliveries, then exits.
CMD ["node", "dist/src/server.js"]
