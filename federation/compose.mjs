// Composes the subgraphs into a supergraph with Apollo's composition library.
//
//   node compose.mjs < subgraphs.json > supergraph.graphql
//
// stdin: {"subgraphs": [{"name": "location", "url": "http://...", "sdl": "..."}, ...]}
// stdout: the supergraph SDL. On composition errors each is printed to stderr (with its
// code) and the exit status is 1. Composition hints go to stderr and do not fail.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const input = JSON.parse(readFileSync(0, "utf8"));
const result = composeServices(
  input.subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
);
for (const hint of result.hints ?? []) {
  console.error(`hint ${hint.definition.code}: ${hint.message}`);
}
if (result.errors?.length) {
  for (const error of result.errors) {
    console.error(`error ${error.extensions?.code ?? "COMPOSITION"}: ${error.message}`);
  }
  process.exit(1);
}
process.stdout.write(result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : result.supergraphSdl + "\n");
