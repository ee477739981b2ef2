import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { activeModules, defineModule } from "./registry";
import { discoveredModules, mockGraphQL, renderShell, connection, textsByRole } from "./testing";

describe("activeModules", () => {
  it("keeps the modules the server names, in its order, and only those present", () => {
    const active = activeModules(discoveredModules, ["payer", "claim", "location"]);
    expect(active.map((module) => module.label)).toEqual(["payer", "location"]);
    expect(activeModules(discoveredModules, ["location"]).map((module) => module.label)).toEqual([
      "location",
    ]);
  });

  it("refuses a module whose label is not its folder's name", () => {
    const wrong = { "../../modules/claims/index.tsx": { default: defineModule({ label: "claim" }) } };
    expect(() => activeModules(wrong, ["claim"])).toThrow(
      "Frontend module in folder claims declares label claim.",
    );
  });
});

describe("the shell", () => {
  /** The entries of the main menu, as links. */
  const mainMenu = () => textsByRole(screen.getByRole("navigation", { name: "Main" }), "link");

  it("shows the menu entries of the active modules only", () => {
    mockGraphQL({ LocationList: () => ({ locations: connection([]) }) });
    const { unmount } = renderShell("/", ["location", "payer"]);
    expect(mainMenu()).toEqual(["openIMIS", "Locations", "Payers", "GraphiQL"]);
    unmount();
    renderShell("/payers", ["location"]);
    expect(mainMenu()).toEqual(["openIMIS", "Locations", "GraphiQL"]);
    expect(screen.getByRole("alert")).toHaveTextContent("No such page.");
  });

  it("shows a menu entry only to a user holding the permission it declares", () => {
    mockGraphQL({ LocationList: () => ({ locations: connection([]) }) });
    renderShell("/", ["location", "payer"], ["location.view_location"]);
    expect(mainMenu()).toEqual(["openIMIS", "Locations", "GraphiQL"]);
    // the home page lists the same entries
    expect(textsByRole(screen.getByRole("main"), "link")).toEqual(["Locations"]);
  });
});
