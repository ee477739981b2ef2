// Lint: typescript-eslint's recommended rules, and module independence: a file under
// modules/<name>/ may import the shell (src/) and packages, never another module's folder
// (the frontend counterpart of the import-linter contract in pyproject.toml). The zones
// are computed from the folders present, so a new module is covered without editing this.
import { readdirSync } from "node:fs";
import js from "@eslint/js";
import importPlugin from "eslint-plugin-import";
import tseslint from "typescript-eslint";

const modules = readdirSync(`${import.meta.dirname}/modules`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

export default tseslint.config(
  { ignores: ["dist/**", "src/gql/**", "node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { import: importPlugin },
    settings: {
      "import/resolver": { node: { extensions: [".ts", ".tsx", ".js", ".json"] } },
    },
    rules: {
      "import/no-restricted-paths": [
        "error",
        {
          zones: [
            ...modules.map((name) => ({
              target: `./modules/${name}`,
              from: "./modules",
              except: [`./${name}`],
              message: "A frontend module never imports another: use the shell's contribution points and store.",
            })),
            {
              target: "./src",
              from: "./modules",
              message: "The shell never imports a module: modules are discovered (import.meta.glob).",
            },
          ],
        },
      ],
    },
  },
);
