// The federation gateway over supergraph.graphql: Hive Gateway's runtime
// (@graphql-hive/gateway-runtime, MIT) on Node's HTTP server.
//
//   federation/node_modules/.bin/node federation/gateway.mjs      (make gateway)
//
// Environment:
//   SUPERGRAPH               supergraph file (default: supergraph.graphql beside this folder)
//   HOST, PORT               where the gateway listens (default 127.0.0.1:4000)
//   SUBGRAPH_<LABEL>_URL     overrides the URL the supergraph names for a subgraph, e.g.
//                            SUBGRAPH_LOCATION_URL=http://127.0.0.1:8001/graphql/location
//
// Serves GraphQL at /graphql, liveness at /healthcheck and readiness (the supergraph is
// loaded) at /readiness. The client's Authorization header (an OAuth2 bearer token) is
// passed on to every subgraph, which checks it and the user's permissions as the
// monolith does. Logs go to stdout, one line per event.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { parse } from "graphql";

const supergraphPath =
  process.env.SUPERGRAPH ?? new URL("../supergraph.graphql", import.meta.url).pathname;
const supergraphSdl = readFileSync(supergraphPath, "utf8");

// { <subgraph>: { location: <url> } } for each SUBGRAPH_<LABEL>_URL that is set.
const transportEntries = {};
for (const [, name] of supergraphSdl.matchAll(/@join__graph\(name: "(\w+)"/g)) {
  const override = process.env[`SUBGRAPH_${name.toUpperCase()}_URL`];
  if (override) transportEntries[name] = { location: override };
}

const gateway = createGatewayRuntime({
  supergraph: parse(supergraphSdl),
  transportEntries,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get("authorization") ?? undefined,
    }),
  },
  graphqlEndpoint: "/graphql",
  healthCheckEndpoint: "/healthcheck",
  readinessCheckEndpoint: "/readiness",
  landingPage: false,
});

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 4000);
const server = createServer(gateway);
server.listen(port, host, () => {
  console.log(`Gateway ready at http://${host}:${port}/graphql (supergraph ${supergraphPath})`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => gateway.dispose().then(() => process.exit(0))));
}
