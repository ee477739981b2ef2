// @vitest-environment node
// The typed operations follow the committed schema: a schema that drops a field the
// modules' documents ask for fails the code generation (and so the build and CI).
import { readFileSync } from "node:fs";
import { generate } from "@graphql-codegen/cli";
import { describe, expect, it } from "vitest";
import config from "../../codegen";

const schema = readFileSync(new URL("../../../schema.graphql", import.meta.url), "utf8");

function generateFor(sdl: string) {
  const output = Object.values(config.generates)[0] as object;
  return generate(
    { ...config, schema: sdl, generates: { "src/gql/": output }, silent: true, errorsOnly: true },
    false, // do not write files
  );
}

describe("graphql-codegen over schema.graphql", () => {
  it("types every module's documents from the committed schema", async () => {
    const files = await generateFor(schema);
    const types = files.find((file: { filename: string }) => file.filename.endsWith("graphql.ts"));
    expect(types?.content).toContain("export type LocationDetailQuery");
    expect(types?.content).toContain("export type PayerListQuery");
  });

  it("fails when the schema loses a field a document uses", async () => {
    const withoutPhone = schema.replace(/"""Phone number\."""\n\s+phone: String\n/, "");
    expect(withoutPhone).not.toEqual(schema);
    await expect(generateFor(withoutPhone)).rejects.toThrow(/phone/);
  });
});
