import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { useShellStore } from "../../../src/shell/store";
import {
  GraphQLAnswer,
  connection,
  forbiddenError,
  mockGraphQL,
  renderShell,
  textsByRole,
} from "../../../src/shell/testing";

const payer = {
  uuid: "5e0c6b1a-9f2d-4c3b-8a4e-1f2a3b4c5d01",
  name: "Rice Co-operative",
  type: "COOPERATIVE",
  phone: "012 345",
  email: "rice@example.org",
  location: { uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", code: "0102", name: "Mongkol Borei", type: "DISTRICT" },
};

const district = {
  uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70",
  code: "0102",
  name: "Mongkol Borei",
  type: "DISTRICT",
  malePopulation: null,
  femalePopulation: null,
  otherPopulation: null,
  families: null,
  validityFrom: "2026-01-01T00:00:00Z",
  validityTo: null,
  parent: null,
  history: [],
};

// a user who may see and change payers but no location (the payer viewer role, plus change)
const PAYERS_ONLY = ["payer.view_payer", "payer.change_payer"];

const detail = {
  ...payer,
  location: null,
  address: "1 Rice Road",
  fax: null,
  validityFrom: "2026-01-01T00:00:00Z",
  validityTo: null,
  viewerCanChange: true,
  viewerCanDelete: false,
  history: [],
};

describe("the payer panel of the location detail", () => {
  it("lists the payers of the location the location module selected", async () => {
    const calls = mockGraphQL({
      LocationDetail: () => ({ location: district }),
      LocationList: () => ({ locations: connection([]) }),
      PayerList: (variables) => ({
        payers: connection(
          (variables.filter as { location: string }).location === "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70" ? [payer] : [],
        ),
      }),
    });
    renderShell("/locations/7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70");
    const panel = await screen.findByRole("region", { name: "Payers of Mongkol Borei" });
    await within(panel).findByRole("link", { name: "Rice Co-operative" });
    expect(calls.find((call) => call.operation === "PayerList")?.variables).toMatchObject({
      filter: { location: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70" },
      first: 10,
    });

    // another selection (an event from any module) re-targets the panel
    act(() =>
      useShellStore.getState().selectLocation({ uuid: "1a2b3c4d-0000-4e5f-8a6b-7c8d9e0f1a09", code: "09", name: "Koh Kong", type: "REGION" }),
    );
    const other = await screen.findByRole("region", { name: "Payers of Koh Kong" });
    await within(other).findByText("No payers here or below.");
  });
});

describe("the payer list", () => {
  it("filters by type and text and pages with the end cursor", async () => {
    const calls = mockGraphQL({
      PayerList: () => ({ payers: connection([payer], { totalCount: 60, hasNextPage: true }) }),
    });
    renderShell("/payers");
    const table = await screen.findByRole("table", { name: "Payers" });
    expect(within(table).getByRole("row", { name: /Rice Co-operative/ })).toHaveTextContent(
      "Mongkol Borei (0102)",
    );
    await userEvent.selectOptions(screen.getByLabelText("Type"), "DONOR");
    await userEvent.type(screen.getByRole("searchbox"), "rice");
    await waitFor(() =>
      expect(calls.at(-1)?.variables).toEqual({
        filter: { search: "rice", type: "DONOR" },
        first: 25,
        after: null,
      }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(calls.at(-1)?.variables).toMatchObject({ after: "cursor-1" }));
    expect(screen.getByText("26–50 of 60")).toBeInTheDocument();
  });
});

describe("the payer form", () => {
  it("shows each error on its field and picks the location with the contributed picker", async () => {
    const calls = mockGraphQL({
      LocationList: () => ({
        locations: connection([
          { uuid: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b01", code: "01020304", name: "Mongkol village", type: "VILLAGE", parent: null },
          { uuid: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70", code: "0102", name: "Mongkol Borei", type: "DISTRICT", parent: null },
        ]),
      }),
      CreatePayer: (variables) => ({
        createPayer: (variables.input as { location: string | null }).location
          ? { payer: { uuid: "5e0c6b1a-9f2d-4c3b-8a4e-1f2a3b4c5d02" }, errors: [] }
          : {
              payer: null,
              errors: [
                { field: "name", code: "REQUIRED", message: "Name is required." },
                { field: "email", code: "INVALID", message: "Enter a valid e-mail address." },
              ],
            },
      }),
      PayerDetail: () => ({
        payer: { ...payer, uuid: "5e0c6b1a-9f2d-4c3b-8a4e-1f2a3b4c5d02", address: null, fax: null, validityFrom: "2026-01-01T00:00:00Z", validityTo: null, history: [] },
      }),
    });
    renderShell("/payers/new");
    const form = await screen.findByRole("form", { name: "New payer" });
    await userEvent.type(within(form).getByLabelText("E-mail"), "nope");
    await userEvent.click(within(form).getByRole("button", { name: "Create" }));
    await waitFor(() => expect(within(form).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true"));
    expect(within(form).getByLabelText("Name")).toHaveAccessibleDescription("Name is required.");
    expect(within(form).getByLabelText("E-mail")).toHaveAccessibleDescription("Enter a valid e-mail address.");
    expect(within(form).getByLabelText("Phone")).not.toHaveAttribute("aria-invalid");

    await userEvent.type(within(form).getByLabelText("Name"), "New payer");
    await userEvent.type(within(form).getByLabelText("Region or district"), "Mong");
    // the picker offers regions and districts only
    const district = await within(form).findByRole("button", { name: /^Mongkol Borei \(0102, District\)/ });
    expect(within(form).queryByRole("button", { name: /Mongkol village/ })).toBeNull();
    await userEvent.click(district);
    await userEvent.click(within(form).getByRole("button", { name: "Create" }));
    await screen.findByRole("heading", { level: 1, name: "Rice Co-operative" });
    expect(calls.filter((call) => call.operation === "CreatePayer").at(-1)?.variables).toEqual({
      input: {
        name: "New payer",
        type: "COOPERATIVE",
        location: "7d1c9a52-3e4b-4f60-8a71-2b3c4d5e6f70",
        address: null,
        phone: null,
        fax: null,
        email: "nope",
      },
    });
  });
});

describe("the payer edit form", () => {
  it("drops a field's error when the field is edited, and every field error on the next submission", async () => {
    let failing = false;
    const badEmail = "Enter a valid e-mail address.";
    const noName = "Name is required.";
    mockGraphQL({
      PayerDetail: () => ({ payer: { ...detail, location: payer.location } }),
      LocationList: () => ({ locations: connection([]) }),
      UpdatePayer: () =>
        failing
          ? new GraphQLAnswer({ updatePayer: null }, [
              { message: "Internal server error", path: ["updatePayer"], extensions: { code: "INTERNAL_SERVER_ERROR" } },
            ])
          : {
              updatePayer: {
                payer: null,
                errors: [
                  { field: "name", code: "REQUIRED", message: noName },
                  { field: "email", code: "INVALID", message: badEmail },
                ],
              },
            },
    });
    renderShell(`/payers/${payer.uuid}`, ["location", "payer"], [...PAYERS_ONLY, "location.view_location"]);
    await userEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = await screen.findByRole("form", { name: "Edit payer" });
    const name = within(form).getByLabelText("Name");
    const email = within(form).getByLabelText("E-mail");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(email).toHaveAccessibleDescription(badEmail));
    expect(name).toHaveAccessibleDescription(noName);

    // editing the e-mail drops its error, and only that one
    await userEvent.type(email, "x");
    expect(email).not.toHaveAttribute("aria-invalid");
    expect(within(form).queryByText(badEmail)).toBeNull();
    expect(name).toHaveAttribute("aria-invalid", "true");

    // the next submission fails without field errors: the name's error is gone too
    failing = true;
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await within(form).findByText(/Something went wrong on the server/);
    expect(name).not.toHaveAttribute("aria-invalid");
    expect(within(form).queryByText(noName)).toBeNull();
  });
});

describe("a user who may see payers but not their locations", () => {
  it("sees a payer's detail, its location hidden, and edits it leaving the location as it is", async () => {
    const calls = mockGraphQL({
      PayerDetail: () =>
        new GraphQLAnswer({ payer: detail }, [forbiddenError(["payer", "location"], "other.view")]),
      UpdatePayer: () => ({ updatePayer: { payer: { uuid: payer.uuid }, errors: [] } }),
    });
    renderShell(`/payers/${payer.uuid}`, ["location", "payer"], PAYERS_ONLY);
    await screen.findByRole("heading", { level: 1, name: "Rice Co-operative" });
    const fact = (term: string) => screen.getByText(term, { selector: "dt" }).nextElementSibling?.textContent;
    expect(fact("Type")).toBe("Co-operative");
    expect(fact("Phone")).toBe("012 345");
    expect(fact("E-mail")).toBe("rice@example.org");
    expect(fact("Address")).toBe("1 Rice Road");
    expect(fact("Location")).toBe("hidden from you");
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.queryByText(/Permission denied/)).toBeNull();
    expect(textsByRole(screen.getByRole("group", { name: "Actions" }), "button")).toEqual(["Edit"]);

    await userEvent.click(screen.getByRole("button", { name: "Edit" }));
    const form = await screen.findByRole("form", { name: "Edit payer" });
    expect(within(form).getByLabelText("Region or district")).toHaveTextContent("hidden from you (left as it is)");
    await userEvent.clear(within(form).getByLabelText("Phone"));
    await userEvent.type(within(form).getByLabelText("Phone"), "099");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((call) => call.operation === "UpdatePayer")).toBe(true));
    // no location key: the API keeps the payer's location (null would remove it)
    expect(calls.find((call) => call.operation === "UpdatePayer")?.variables).toEqual({
      input: {
        uuid: payer.uuid,
        name: "Rice Co-operative",
        type: "COOPERATIVE",
        address: "1 Rice Road",
        phone: "099",
        fax: null,
        email: "rice@example.org",
        expectedValidityFrom: "2026-01-01T00:00:00Z", // the version the form was opened on
      },
    });
    // the location module's picker (it needs its own permission) is never asked
    expect(calls.map((call) => call.operation)).not.toContain("LocationList");
  });

  it("is offered no change of a payer the API says they may not change (outside their districts)", async () => {
    mockGraphQL({
      PayerDetail: () => ({ payer: { ...detail, location: payer.location, viewerCanChange: false } }),
    });
    // every payer permission, yet this row is read only
    renderShell(`/payers/${payer.uuid}`, ["location", "payer"]);
    await screen.findByRole("heading", { level: 1, name: "Rice Co-operative" });
    expect(screen.queryByRole("group", { name: "Actions" })).toBeNull();
  });

  it("sees the payer list without the location column and without one error per row", async () => {
    const other = { ...payer, uuid: "5e0c6b1a-9f2d-4c3b-8a4e-1f2a3b4c5d03", name: "Zinc Donors", type: "DONOR", phone: null };
    mockGraphQL({
      PayerList: () =>
        new GraphQLAnswer(
          { payers: connection([{ ...payer, location: null }, { ...other, location: null }], { totalCount: 2 }) },
          [0, 1].map((index) => forbiddenError(["payers", "edges", index, "node", "location"], "other.view")),
        ),
    });
    renderShell("/payers", ["location", "payer"], PAYERS_ONLY);
    const table = await screen.findByRole("table", { name: "Payers" });
    expect(textsByRole(table, "columnheader")).toEqual(["Name", "Type", "Phone", "E-mail"]);
    expect(textsByRole(table, "row").slice(1)).toEqual([
      "Rice Co-operativeCo-operative012 345rice@example.org",
      "Zinc DonorsDonorrice@example.org",
    ]);
    expect(screen.getByText("1–2 of 2")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.queryByText(/Permission denied/)).toBeNull();
  });

  it("still sees any other error, once however many rows it concerns", async () => {
    mockGraphQL({
      PayerDetail: () =>
        new GraphQLAnswer({ payer: detail }, [
          forbiddenError(["payer", "location"], "other.view"),
          { message: "Something broke.", path: ["payer", "history"], extensions: { code: "INTERNAL_SERVER_ERROR" } },
        ]),
      PayerList: () =>
        new GraphQLAnswer(
          { payers: connection([{ ...payer, location: null }, { ...payer, uuid: "5e0c6b1a-9f2d-4c3b-8a4e-1f2a3b4c5d03", location: null }]) },
          [0, 1].map((index) => ({
            message: "Database unavailable.",
            path: ["payers", "edges", index, "node", "location"],
            extensions: { code: "INTERNAL_SERVER_ERROR" },
          })),
        ),
    });
    // in the users' words (the bug outweighs the hidden field), the server's words folded
    const bug = "Something went wrong on the server. Try again; if it happens again, tell your administrator.";
    const { unmount } = renderShell(`/payers/${payer.uuid}`, ["location", "payer"], PAYERS_ONLY);
    const alert = await screen.findByRole("alert");
    expect(alert.querySelector("p")?.textContent).toBe(`${bug} Try again`);
    expect(alert.querySelector("details")?.textContent).toBe(
      "DetailsPermission denied: you need 'other.view'. Something broke.",
    );
    expect(screen.queryByRole("heading", { level: 1, name: "Rice Co-operative" })).toBeNull();
    unmount();
    renderShell("/payers", ["location", "payer"], PAYERS_ONLY);
    expect((await screen.findByRole("alert")).textContent).toBe(`${bug} Try againDetailsDatabase unavailable.`);
    expect(screen.queryByRole("table", { name: "Payers" })).toBeNull();
  });
});

describe("a user who may see locations but not payers", () => {
  it("gets the location page without the payer panel, which asks nothing", async () => {
    const calls = mockGraphQL({
      LocationDetail: () => ({ location: district }),
      LocationList: () => ({ locations: connection([]) }),
    });
    renderShell(`/locations/${district.uuid}`, ["location", "payer"], ["location.view_location"]);
    await screen.findByRole("heading", { level: 1, name: /Mongkol Borei/ });
    await waitFor(() => expect(calls.map((call) => call.operation)).toContain("LocationList"));
    expect(screen.queryByRole("region", { name: /Payers of/ })).toBeNull();
    expect(screen.queryByText(/Permission denied/)).toBeNull();
    expect(calls.map((call) => call.operation)).not.toContain("PayerList");
  });
});
