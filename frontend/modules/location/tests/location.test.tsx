import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { useShellStore } from "../../../src/shell/store";
import { GraphQLAnswer, connection, mockGraphQL, renderShell, textsByRole } from "../../../src/shell/testing";

const region = { uuid: "1a2b3c4d-0000-4e5f-8a6b-7c8d9e0f1a01", code: "01", name: "Banteay Meanchey", type: "REGION", parent: null };
const district = {
  uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70",
  code: "0102",
  name: "Mongkol Borei",
  type: "DISTRICT",
  parent: { uuid: "1a2b3c4d-0000-4e5f-8a6b-7c8d9e0f1a01", code: "01", name: "Banteay Meanchey", type: "REGION", parent: null },
};

function detail(overrides: object = {}) {
  return {
    ...district,
    malePopulation: 10,
    femalePopulation: 12,
    otherPopulation: null,
    families: 7,
    validityFrom: "2026-01-01T00:00:00Z",
    validityTo: null,
    viewerCanChange: true,
    viewerCanDelete: true,
    viewerCanAddChild: true,
    history: [],
    ...overrides,
  };
}

/**
 * The API of the detail of the district (no children, every change allowed unless
 * `overrides` say otherwise), answering `mutations` too.
 */
function mockDetail(mutations: Parameters<typeof mockGraphQL>[0] = {}, overrides: object = {}) {
  return mockGraphQL({
    LocationDetail: () => ({ location: detail(overrides) }),
    LocationList: () => ({ locations: connection([]) }),
    ...mutations,
  });
}

/** A location mutation's payload: the district saved once `accepted`, else refused with `errors`. */
function payload(accepted: boolean, errors: object[]) {
  return accepted ? { location: { uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70" }, errors: [] } : { location: null, errors };
}

describe("the regions page", () => {
  it("asks for one page of regions and the next page from the end cursor", async () => {
    const calls = mockGraphQL({
      LocationList: (variables) =>
        variables.after
          ? { locations: connection([{ ...region, uuid: "1a2b3c4d-0000-4e5f-8a6b-7c8d9e0f1a02", name: "Battambang", code: "02" }], { totalCount: 26 }) }
          : { locations: connection([region], { totalCount: 26, hasNextPage: true }) },
    });
    renderShell("/locations");
    const regions = await screen.findByRole("region", { name: "Regions" });
    await within(regions).findByRole("link", { name: "Banteay Meanchey" });
    expect(calls[0].variables).toMatchObject({ filter: { type: "REGION" }, first: 25, after: null });

    await userEvent.click(within(regions).getByRole("button", { name: "Next" }));
    await within(regions).findByRole("link", { name: "Battambang" });
    expect(calls.at(-1)?.variables).toMatchObject({ first: 25, after: "cursor-1" });
    expect(within(regions).getByText("26–26 of 26")).toBeInTheDocument();
  });

  it("offers a new region only to a user who may create one, whatever their districts", async () => {
    const page = "/locations";
    const creator = ["location.view_location", "location.add_location", "location.manage_upper_levels"];
    mockGraphQL({ LocationList: () => ({ locations: connection([region]) }) });
    for (const [permissions, offered] of [
      [[...creator, "location.all_districts"], true],
      [creator, false], // a user of some districts: a region is outside them
      [["location.view_location", "location.add_location", "location.all_districts"], false],
    ] as const) {
      const { unmount } = renderShell(page, ["location"], [...permissions]);
      await screen.findByRole("link", { name: "Banteay Meanchey" });
      expect([permissions, screen.queryByRole("button", { name: "New region" }) !== null]).toEqual([
        permissions,
        offered,
      ]);
      unmount();
    }
  });

  it("shows each search result with its parent chain", async () => {
    const calls = mockGraphQL({
      LocationList: (variables) =>
        (variables.filter as { search?: string }).search
          ? { locations: connection([{ ...district, parent: { ...district.parent } }]) }
          : { locations: connection([region]) },
    });
    renderShell("/locations");
    await userEvent.type(screen.getByRole("searchbox", { name: "Search locations by code or name" }), "Mong");
    const results = await screen.findByRole("table", { name: "Search results" });
    const row = await within(results).findByRole("row", { name: /Mongkol Borei/ });
    expect(row).toHaveTextContent("0102");
    expect(row).toHaveTextContent("District");
    expect(row).toHaveTextContent("Banteay Meanchey");
    expect(calls.at(-1)?.variables).toMatchObject({ filter: { search: "Mong" }, first: 20 });
  });

  it("takes a search text only as long as the API accepts, and says so at the box", async () => {
    const calls = mockGraphQL({
      LocationList: () => ({ locations: connection([region]) }),
    });
    renderShell("/locations");
    const box = screen.getByRole("searchbox", { name: "Search locations by code or name" });
    await userEvent.click(box);
    await userEvent.paste("Mongkol Borei ".repeat(20)); // 280 characters
    await waitFor(() =>
      expect((calls.at(-1)?.variables.filter as { search: string }).search).toBe(
        "Mongkol Borei ".repeat(20).slice(0, 200).trim(),
      ),
    );
    expect(box).toHaveAccessibleDescription("Search text is at most 200 characters.");
    expect(screen.queryByRole("alert")).toBeNull();
    await userEvent.type(box, "{Backspace}");
    expect(screen.queryByText("Search text is at most 200 characters.")).toBeNull();
  });
});

describe("the location detail", () => {
  it("answers a uuid that is no uuid as not found, without asking the API", async () => {
    const calls = mockGraphQL({});
    renderShell("/locations/not-a-uuid", ["location"]);
    expect((await screen.findByRole("alert")).textContent).toBe("No location with uuid not-a-uuid.");
    expect(calls).toEqual([]);
  });

  it("shows the parent chain, pages the children and publishes the selected location", async () => {
    const calls = mockGraphQL({
      LocationDetail: () => ({ location: detail() }),
      LocationList: () => ({ locations: connection([], { totalCount: 0 }) }),
      PayerList: () => ({ payers: connection([]) }),
    });
    renderShell("/locations/7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", ["location"]);
    await screen.findByRole("heading", { level: 1, name: /Mongkol Borei/ });
    const chain = screen.getByRole("navigation", { name: "Parent chain" });
    expect(textsByRole(chain, "listitem")).toEqual(["Locations", "Banteay Meanchey", "Mongkol Borei"]);
    await screen.findByRole("region", { name: "Municipalities" });
    expect(calls.find((call) => call.operation === "LocationList")?.variables).toMatchObject({
      filter: { parent: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70" },
      first: 25,
    });
    expect(useShellStore.getState().selectedLocation).toEqual({
      uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70",
      code: "0102",
      name: "Mongkol Borei",
      type: "DISTRICT",
    });
    // only the location module is active: no panel, no payer request
    expect(screen.queryByRole("heading", { name: /^Payers of/ })).toBeNull();
    expect(calls.some((call) => call.operation === "PayerList")).toBe(false);
  });

  it("shows each error of a rename on the field it names, and saves the name when accepted", async () => {
    let accept = false;
    const calls = mockDetail({
      UpdateLocation: () => ({
        updateLocation: payload(accept, [
          { field: "name", code: "TOO_LONG", message: "Name has at most 50 characters." },
          { field: null, code: "CONFLICT", message: "Someone changed it meanwhile." },
        ]),
      }),
    });
    renderShell("/locations/7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", ["location"]);
    await userEvent.click(await screen.findByRole("button", { name: "Rename" }));
    const form = screen.getByRole("form", { name: "Rename" });
    const name = within(form).getByLabelText("Name");
    await userEvent.clear(name);
    await userEvent.type(name, "x".repeat(51));
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(name).toHaveAccessibleDescription("Name has at most 50 characters.");
    expect(within(form).getByLabelText("Code")).not.toHaveAttribute("aria-invalid");
    expect(within(form).getByRole("alert")).toHaveTextContent("Someone changed it meanwhile.");
    expect(calls.find((call) => call.operation === "UpdateLocation")).toEqual({
      operation: "UpdateLocation",
      variables: {
        input: {
          uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70",
          code: "0102",
          name: "x".repeat(51),
          expectedValidityFrom: "2026-01-01T00:00:00Z", // the version the form was opened on
        },
      },
    });

    accept = true;
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Rename" })).toBeNull());
  });

  it("drops a field's error when the field is edited, and every field error on the next submission", async () => {
    let stale = false;
    const tooLong = "The name has 51 characters; at most 50 are allowed.";
    const taken = "Code 0103 is taken.";
    mockDetail({
      UpdateLocation: () =>
        stale
          ? new GraphQLAnswer({ updateLocation: null }, [
              {
                message: "The location changed since you read it; read it again and reapply your change.",
                path: ["updateLocation"],
                extensions: { code: "BAD_USER_INPUT", reason: "STALE_VERSION" },
              },
            ])
          : {
              updateLocation: payload(false, [
                { field: "code", code: "DUPLICATE", message: taken },
                { field: "name", code: "TOO_LONG", message: tooLong },
              ]),
            },
    });
    renderShell("/locations/7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", ["location"]);
    await userEvent.click(await screen.findByRole("button", { name: "Rename" }));
    const form = screen.getByRole("form", { name: "Rename" });
    const code = within(form).getByLabelText("Code");
    const name = within(form).getByLabelText("Name");
    await userEvent.clear(name);
    await userEvent.type(name, "x".repeat(51));
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(name).toHaveAccessibleDescription(tooLong));
    expect(code).toHaveAccessibleDescription(taken);

    // editing the name drops the name's error, and only that one
    await userEvent.clear(name);
    await userEvent.type(name, "Renamed in UI");
    expect(name).not.toHaveAttribute("aria-invalid");
    expect(within(form).queryByText(tooLong)).toBeNull();
    expect(code).toHaveAttribute("aria-invalid", "true");
    expect(code).toHaveAccessibleDescription(taken);

    // a later submission that fails otherwise (someone changed the row): no field error is left
    stale = true;
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await within(form).findByText(/Someone else changed this since you opened it/);
    expect(name).toHaveValue("Renamed in UI");
    for (const field of [code, name]) {
      expect(field).not.toHaveAttribute("aria-invalid");
      expect(field).toHaveAccessibleDescription("");
    }
    expect(within(form).queryByText(taken)).toBeNull();
  });

  it("deletes a location with everything below it, showing what other modules keep there", async () => {
    let accept = false;
    const calls = mockDetail({
      DeleteLocation: () => ({
        deleteLocation: payload(accept, [
          { field: null, code: "HAS_PAYERS", message: "0102 Mongkol Borei still has 2 current payers." },
        ]),
      }),
    });
    renderShell("/locations/7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", ["location"]);
    await userEvent.click(await screen.findByRole("button", { name: "Delete" }));
    const form = screen.getByRole("form", { name: "Delete" });
    await userEvent.click(within(form).getByLabelText("Delete everything below it too"));
    expect(within(form).queryByLabelText("Move its children to (optional)")).toBeNull();
    await userEvent.click(within(form).getByRole("button", { name: "Delete" }));

    await within(form).findByText("0102 Mongkol Borei still has 2 current payers.");
    expect(calls.find((call) => call.operation === "DeleteLocation")?.variables).toEqual({
      input: {
        uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70",
        newParent: null,
        descendants: true,
        references: "PROTECT",
        reassignTo: null,
        expectedValidityFrom: "2026-01-01T00:00:00Z",
      },
    });

    accept = true;
    await userEvent.selectOptions(
      within(form).getByLabelText("What other modules keep there (payers …)"),
      "CASCADE",
    );
    await userEvent.click(within(form).getByRole("button", { name: "Delete" }));
    await waitFor(() =>
      expect(calls.filter((call) => call.operation === "DeleteLocation").at(-1)?.variables).toEqual({
        input: { uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", newParent: null, descendants: true, references: "CASCADE", reassignTo: null, expectedValidityFrom: "2026-01-01T00:00:00Z" },
      }),
    );
  });

  it("shows the refusal of a location with children in the form's words, not the API's", async () => {
    const server =
      "0102 Mongkol Borei has 3 current child location(s); give them a new parent (newParent), " +
      "delete them with it (descendants) or move them first.";
    mockDetail({
      DeleteLocation: () => ({
        deleteLocation: payload(false, [{ field: "newParent", code: "HAS_CHILDREN", message: server }]),
      }),
    });
    renderShell("/locations/7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", ["location"]);
    await userEvent.click(await screen.findByRole("button", { name: "Delete" }));
    const form = screen.getByRole("form", { name: "Delete" });
    await userEvent.click(within(form).getByRole("button", { name: "Delete" }));

    const field = within(form).getByLabelText("Move its children to (optional)");
    await waitFor(() => expect(field).toHaveAttribute("aria-invalid", "true"));
    const error = document.getElementById(field.getAttribute("aria-describedby") ?? "");
    expect(error).toHaveTextContent(
      "It still has locations under it: choose where they move here, tick “Delete everything below it too”, or move them first.",
    );
    expect(form).not.toHaveTextContent("newParent");
    expect(form).not.toHaveTextContent("(descendants)");
  });

  it("offers each change only where the API says the user may make it, row by row", async () => {
    const page = "/locations/7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70";
    mockDetail();
    const { unmount } = renderShell(page, ["location"]);
    const actions = await screen.findByRole("group", { name: "Actions" });
    expect(textsByRole(actions, "button")).toEqual(["Rename", "Move", "New municipality", "Delete"]);
    unmount();
    mockDetail({}, { viewerCanDelete: false, viewerCanAddChild: false });
    const second = renderShell(page, ["location"]);
    const fewer = await screen.findByRole("group", { name: "Actions" });
    expect(textsByRole(fewer, "button")).toEqual(["Rename", "Move"]);
    second.unmount();
    // a row the user reads but may not change (the region above their district): nothing,
    // whatever permissions the session holds
    mockDetail({}, { viewerCanChange: false, viewerCanDelete: false, viewerCanAddChild: false });
    renderShell(page, ["location"]);
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Mongkol Borei");
    expect(screen.queryByRole("group", { name: "Actions" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Rename" })).toBeNull();
  });
});
