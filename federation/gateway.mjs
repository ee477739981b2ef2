// A federation gateway (Apollo Gateway on Apollo Server) over supergraph.graphql.
//
//   node federation/gateway.mjs
//
// Environment:
//   SUPERGRAPH               supergraph file (default: supergraph.graphql beside this folder)
//   HOST, PORT               where the gateway listens (default 127.0.0.1:4000)
//   SUBGRAPH_<LABEL>_URL     overrides the URL the supergraph names for a subgraph, e.g.
//                            SUBGRAPH_LOCATION_URL=http://127.0.0.1:8001/graphql/location
//
// The client's Authorization header (an OAuth2 bearer token) is passed on to every
// subgraph, which checks it and the user's permissions as the monolith does.
import { readFileSync } from "node:fs";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const supergraphPath =
  process.env.SUPERGRAPH ?? new URL("../supergraph.graphql", import.meta.url).pathname;

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphPath, "utf8"),
  buildService({ name, url }) {
    const override = process.env[`SUBGRAPH_${name.toUpperCase()}_URL`];
    return new RemoteGraphQLDataSource({
      url: override ?? url,
      willSendRequest({ request, context }) {
        if (context.authorization) {
          request.http.headers.set("authorization", context.authorization);
        }
      },
    });
  },
});

const server = new ApolloServer({ gateway, introspection: true });
const { url } = await startStandaloneServer(server, {
  listen: { host: process.env.HOST ?? "127.0.0.1", port: Number(process.env.PORT ?? 4000) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`Gateway ready at ${url} (supergraph ${supergraphPath})`);
