# syntax=docker/dockerfile:1
# consul-xds-bridge images, built from this checkout (docker-compose.yml builds both).
#
#   docker build -t consul-xds-bridge .                      # runtime (the default, last stage)
#   docker build --target example -t consul-xds-bridge-example .
#
# Stages:
#   build    npm ci (all dependencies), then `npm run build`: generates the Envoy protobuf code from
#            the pinned @grpc/grpc-js-xds package and compiles src/ to dist/.
#   example  the proxyless gRPC example client (examples/greeter-client.ts, run with tsx); keeps the
#            dev dependencies it needs (@grpc/grpc-js, @grpc/grpc-js-xds, tsx).
#   runtime  the CLI: production dependencies only (npm ci --omit=dev), dist/ and the package files,
#            run as the unprivileged `node` user. Default command: serve.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json buf.yaml buf.gen.yaml ./
COPY scripts/ scripts/
COPY proto/ proto/
COPY src/ src/
RUN npm run build

FROM build AS example
COPY examples/ examples/
USER node
ENV XDS_SERVER=bridge:18000 TARGET=xds:///greeter
ENTRYPOINT ["node", "--import", "tsx", "examples/greeter-client.ts"]

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/ dist/
USER node
# xDS (gRPC over HTTP/2) and the admin port (bind it with --admin-listen 0.0.0.0:19000 to reach it).
EXPOSE 18000 19000
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
