// Composes the subgraphs into a supergraph with The Guild's composition library
// (@theguild/federation-composition, MIT).
//
//   node compose.mjs < subgraphs.json > supergraph.graphql
//
// stdin: {"subgraphs": [{"name": "location", "url": "http://...", "sdl": "..."}, ...]}
// stdout: the supergraph SDL. On composition errors each is printed to stderr (with its
// code) and the exit status is 1.
import { readFileSync } from "node:fs";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const input = JSON.parse(readFileSync(0, "utf8"));
const result = composeServices(
  input.subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
);
if (result.errors?.length) {
  for (const error of result.errors) {
    console.error(`error ${error.extensions?.code ?? "COMPOSITION"}: ${error.message}`);
  }
  process.exit(1);
}
const sdl = result.supergraphSdl;
process.stdout.write(sdl.endsWith("\n") ? sdl : sdl + "\n");
