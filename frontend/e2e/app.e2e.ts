// End to end, in Chromium, against a live server holding the Cambodia quick-start data
// (tests/test_frontend_browser.py starts it; E2E_BASE_URL, E2E_MODULES say where and what).
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BASE_URL,
  MODULES,
  accessibilityViolations,
  graphql,
  launch,
  login,
  newSession,
  screenshot,
  submitLogin,
  type Session,
} from "./browser";

const payerActive = MODULES.includes("payer");
const suffix = Date.now().toString(36).slice(-4).toUpperCase();

let browser: Browser;
let session: Session;
let page: Page;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  session = await newSession(browser);
  page = session.page;
  await login(page);
});
afterEach(async () => {
  await session.context.close();
  expect(session.foreign, "requests to another host").toEqual([]);
  expect(session.consoleErrors, "errors in the browser console").toEqual([]);
});

/** A district that has payers (the generated payers sit on regions and districts). */
async function districtWithPayers(): Promise<{ uuid: string; name: string; region: string }> {
  const data = await graphql(
    page,
    `{ payers(first: 200) { edges { node { location { uuid name type parent { name } } } } } }`,
  );
  const node = data.payers.edges
    .map((edge: { node: { location: { uuid: string; name: string; type: string; parent: { name: string } } | null } }) => edge.node.location)
    .find((location: { type: string } | null) => location?.type === "DISTRICT");
  return { uuid: node.uuid, name: node.name, region: node.parent.name };
}

async function anyDistrict(): Promise<{ uuid: string; name: string; region: string }> {
  const data = await graphql(
    page,
    `{ locations(first: 1, filter: {type: DISTRICT}) { edges { node { uuid name parent { name } } } } }`,
  );
  const node = data.locations.edges[0].node;
  return { uuid: node.uuid, name: node.name, region: node.parent.name };
}

async function openLink(name: string | RegExp): Promise<void> {
  await page.getByRole("link", { name, exact: typeof name === "string" }).first().click();
}

describe("the shell", () => {
  it("shows the active modules' menu entries, and passes an accessibility check", async () => {
    const menu = page.getByRole("navigation", { name: "Main" });
    expect(await menu.getByRole("link", { name: "Locations" }).count()).toBe(1);
    expect(await menu.getByRole("link", { name: "Payers" }).count()).toBe(payerActive ? 1 : 0);
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it("works from the keyboard: skip link, menu, links", async () => {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab"); // the brand link
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Locations");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/app\/locations$/);
    const firstRegion = page.getByRole("region", { name: "Regions" }).getByRole("link").first();
    await firstRegion.focus();
    const name = await firstRegion.innerText();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: new RegExp(name) }).waitFor();
  });

  it("answers a typed logout URL with a page whose button logs out", async () => {
    await page.goto(`${BASE_URL}/accounts/logout/`);
    await page.getByText("You are logged in as demo.").waitFor();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/accounts\/login\/$/);
    await page.goto(`${BASE_URL}/app/`);
    await page.waitForURL(/\/accounts\/login\/\?next=\/app\/$/);
  });

  it("logs out", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/accounts\/login\/$/);
    await page.goto(`${BASE_URL}/app/`);
    await page.waitForURL(/\/accounts\/login\/\?next=\/app\/$/);
  });
});

describe("failed requests, in the users' words", () => {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  it("an expired session: says so, links to the login page that leads back, the header names no user", async () => {
    await openLink("Locations");
    const region = page.getByRole("region", { name: "Regions" }).getByRole("link").first();
    await region.waitFor();
    const name = await region.innerText();
    await session.context.clearCookies(); // the session expired
    await region.click();
    const alert = page.getByRole("alert").first();
    await alert.getByText("Your session has ended — log in again.").waitFor();
    expect(await page.getByText(/Authentication required/).count()).toBe(0);
    const header = page.getByRole("banner");
    expect(await header.getByRole("button", { name: "Log out" }).count()).toBe(0);
    expect(await header.getByText("demo").count()).toBe(0);
    expect(await header.getByText("Not logged in").count()).toBe(1);
    const here = new URL(page.url()).pathname;
    await alert.getByRole("link", { name: "Log in again" }).click();
    await page.waitForURL(new RegExp(`/accounts/login/\\?next=${escape(encodeURIComponent(here))}$`));
    await submitLogin(page, new RegExp(`${escape(here)}$`));
    await page.getByRole("heading", { level: 1, name: new RegExp(escape(name)) }).waitFor();
    expect(await page.getByRole("banner").getByRole("button", { name: "Log out" }).count()).toBe(1);

    // a change submitted after the session expired says the same in its form
    await page.getByRole("button", { name: "Rename" }).click();
    const rename = page.getByRole("form", { name: "Rename" });
    await session.context.clearCookies();
    await rename.getByLabel("Name").fill(`${name} renamed`);
    await rename.getByRole("button", { name: "Save" }).click();
    await rename.getByRole("alert").getByText("Your session has ended — log in again.").waitFor();
    expect(await rename.getByRole("link", { name: "Log in again" }).getAttribute("href")).toBe(
      `/accounts/login/?next=${encodeURIComponent(here)}`,
    );
    expect(await page.getByText(/Authentication required/).count()).toBe(0);
  });

  it("an unreachable server: says so on the screen, and Try again reads it once it answers", async () => {
    // the server stopped: no answer to /graphql at all
    await page.route("**/graphql", (route) => route.abort("connectionrefused"));
    const screen = payerActive ? "Payers" : "Locations";
    await openLink(screen);
    const alert = page.getByRole("alert").first();
    // the reads are asked again 3 times (about 7 s) before the screen says so
    await alert
      .getByText("The server cannot be reached. Check your network connection, then try again.")
      .waitFor({ timeout: 20_000 });
    expect(await page.getByText("Failed to fetch").isVisible()).toBe(false); // under Details
    // the browser logs each refused request; nothing else
    expect(new Set(session.consoleErrors.map((error) => error.replace(/ \(.*\)$/, "")))).toEqual(
      new Set(["Failed to load resource: net::ERR_CONNECTION_REFUSED"]),
    );
    session.consoleErrors.length = 0;
    await page.unroute("**/graphql");
    await alert.getByRole("button", { name: "Try again" }).click();
    const loaded = payerActive
      ? page.getByRole("table", { name: "Payers" }).getByRole("row").nth(1)
      : page.getByRole("region", { name: "Regions" }).getByRole("link").first();
    await loaded.waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
  });
});

describe("locations", () => {
  it("drills down from a region to a village, the payer panel following the selection", async () => {
    const district = payerActive ? await districtWithPayers() : await anyDistrict();
    await openLink("Locations");
    await page.getByRole("region", { name: "Regions" }).getByRole("link").first().waitFor();
    await screenshot(page, "locations");
    await openLink(district.region);
    await page.getByRole("heading", { level: 1, name: new RegExp(district.region) }).waitFor();
    const districts = page.getByRole("region", { name: "Districts" });
    await districts.getByRole("link").first().waitFor();
    // a region's districts may fill more than one page
    while ((await districts.getByRole("link", { name: district.name, exact: true }).count()) === 0) {
      const pages = districts.getByRole("navigation");
      const before = await pages.innerText();
      await districts.getByRole("button", { name: "Next" }).click();
      await expect.poll(() => pages.innerText()).not.toBe(before);
    }
    await districts.getByRole("link", { name: district.name, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(district.name) }).waitFor();
    const panel = page.getByRole("region", { name: `Payers of ${district.name}` });
    if (payerActive) {
      await panel.getByRole("listitem").first().waitFor();
      expect(await panel.getByRole("listitem").count()).toBeGreaterThan(0);
      await screenshot(page, "location-detail");
    } else {
      await page.getByRole("region", { name: "Municipalities" }).waitFor();
      expect(await page.getByRole("heading", { name: /^Payers of/ }).count()).toBe(0);
    }
    await page.getByRole("region", { name: "Municipalities" }).getByRole("link").first().click();
    await page.getByRole("heading", { level: 1, name: /Municipality/ }).waitFor();
    await page.getByRole("region", { name: "Villages" }).getByRole("link").first().click();
    await page.getByRole("heading", { level: 1, name: /Village/ }).waitFor();
    const chain = page.getByRole("navigation", { name: "Parent chain" }).getByRole("listitem");
    expect(await chain.count()).toBe(5); // Locations, region, district, municipality, the village
    expect(await page.getByRole("region", { name: "Villages" }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it("searches by name and shows each result's parent chain", async () => {
    await openLink("Locations");
    await page.getByRole("searchbox", { name: "Search locations by code or name" }).fill("Chey");
    const results = page.getByRole("table", { name: "Search results" });
    await results.getByRole("row").nth(1).waitFor();
    const firstRow = await results.getByRole("row").nth(1).innerText();
    expect(firstRow).toMatch(/Chey/i);
    expect(await page.getByRole("navigation", { name: "Search results pages" }).innerText()).toMatch(
      /1–20 of \d+/,
    );
    await screenshot(page, "location-search");
  });

  it("creates, rename, moves and deletes a location, showing errors on their fields and the history", async () => {
    const district = await anyDistrict();
    await page.goto(`${BASE_URL}/app/locations/${district.uuid}`);
    await page.getByRole("button", { name: "New municipality" }).click();
    const form = page.getByRole("form", { name: "New municipality" });
    await form.getByRole("button", { name: "Create" }).click();
    // the server refuses an empty code; its message appears on the Code field
    const code = form.getByLabel("Code");
    await page.waitForSelector('[aria-invalid="true"]');
    expect(await code.getAttribute("aria-invalid")).toBe("true");
    const codeError = await page.locator(`#${await code.getAttribute("aria-describedby")}`).innerText();
    expect(codeError.length).toBeGreaterThan(0);
    await screenshot(page, "location-validation");
    expect(await accessibilityViolations(page)).toEqual([]);
    await code.fill(`E2${suffix}`);
    await form.getByLabel("Name").fill(`E2E commune ${suffix}`);
    await form.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(`E2E commune ${suffix}`) }).waitFor();

    await page.getByRole("button", { name: "Rename" }).click();
    const rename = page.getByRole("form", { name: "Rename" });
    await rename.getByLabel("Name").fill(`E2E renamed ${suffix}`);
    await rename.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(`E2E renamed ${suffix}`) }).waitFor();
    const history = page.getByRole("region", { name: "History" });
    await history.getByRole("cell", { name: `E2E commune ${suffix}` }).waitFor();

    await page.getByRole("button", { name: "Move" }).click();
    const move = page.getByRole("form", { name: "Move" });
    const other = await graphql(
      page,
      `{ locations(first: 2, filter: {type: DISTRICT}, orderBy: [{field: NAME, direction: DESC}]) { edges { node { uuid name } } } }`,
    );
    const target = other.locations.edges
      .map((edge: { node: { uuid: string; name: string } }) => edge.node)
      .find((node: { uuid: string }) => node.uuid !== district.uuid);
    await move.getByRole("searchbox").fill(target.name);
    await move.getByRole("button", { name: new RegExp(`^${target.name} \\(`) }).first().click();
    await move.getByRole("button", { name: "Move", exact: true }).click();
    await page
      .getByRole("navigation", { name: "Parent chain" })
      .getByRole("link", { name: target.name, exact: true })
      .waitFor();

    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("form", { name: "Delete" }).getByRole("button", { name: "Delete" }).click();
    await page.waitForURL(new RegExp(`/app/locations/${target.uuid}$`));
    const left = await graphql(page, `{ locations(filter: {search: "E2E renamed ${suffix}"}) { totalCount } }`);
    expect(left.locations.totalCount).toBe(0);
  });
});

describe.runIf(payerActive)("payers", () => {
  it("lists, filters and pages payers", async () => {
    await openLink("Payers");
    const table = page.getByRole("table", { name: "Payers" });
    await table.getByRole("row").nth(1).waitFor();
    expect(await table.getByRole("row").count()).toBe(26); // header + a page of 25
    await page.getByRole("navigation", { name: "Payers pages" }).getByRole("button", { name: "Next" }).click();
    await page.getByRole("navigation", { name: "Payers pages" }).getByText(/^26–50 of/).waitFor();
    await page.getByLabel("Type").selectOption("DONOR");
    // the previous page stays shown until the filtered one arrives
    const types = table.locator("tbody tr td:nth-child(2)");
    await expect.poll(async () => new Set(await types.allInnerTexts())).toEqual(new Set(["Donor"]));
    await page.getByRole("navigation", { name: "Payers pages" }).getByText(/^1–/).waitFor();
    await screenshot(page, "payers");
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it("creates, edits and deletes a payer, showing errors on their fields and the history", async () => {
    const district = await anyDistrict();
    await openLink("Payers");
    await openLink("New payer");
    const form = page.getByRole("form", { name: "New payer" });
    await form.getByLabel("E-mail").fill("not an e-mail");
    await form.getByRole("button", { name: "Create" }).click();
    await page.waitForSelector('[aria-invalid="true"]');
    expect(await form.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");
    expect(await form.getByLabel("E-mail").getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "payer-validation");
    expect(await accessibilityViolations(page)).toEqual([]);
    await form.getByLabel("Name").fill(`E2E payer ${suffix}`);
    await form.getByLabel("E-mail").fill("e2e@example.org");
    await form.getByRole("searchbox").fill(district.name);
    await form.getByRole("button", { name: new RegExp(`^${district.name} \\(`) }).first().click();
    await form.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { level: 1, name: `E2E payer ${suffix}` }).waitFor();
    expect(await page.getByText(new RegExp(`^${district.name} \\(`)).count()).toBe(1);

    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit payer" });
    await edit.getByLabel("Phone").fill("+855 12 345 678");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByText("+855 12 345 678").first().waitFor();
    await page.getByRole("region", { name: "History" }).getByRole("cell", { name: "e2e@example.org" }).waitFor();
    await screenshot(page, "payer-detail");
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Confirm delete" }).click();
    await page.waitForURL(/\/app\/payers$/);
    const left = await graphql(page, `{ payers(filter: {search: "E2E payer ${suffix}"}) { totalCount } }`);
    expect(left.payers.totalCount).toBe(0);
  });
});

describe.skipIf(payerActive)("with the payer module inactive", () => {
  it("has no payer screens", async () => {
    await page.goto(`${BASE_URL}/app/payers`);
    await page.getByRole("alert").getByText("No such page.").waitFor();
  });
});

describe("a user of one district", () => {
  it("is offered changes in their district only, none on the region above it", async () => {
    const own = await newSession(browser);
    try {
      await login(own.page, "district", "district");
      const data = await graphql(
        own.page,
        `{ locations(filter: {type: DISTRICT}) { edges { node { uuid name parent { uuid name } } } } }`,
      );
      const [{ node: district }] = data.locations.edges;
      // a region would be outside their district: not offered
      await own.page.goto(`${BASE_URL}/app/locations`);
      await own.page.getByRole("region", { name: "Regions" }).getByRole("link").first().waitFor();
      expect(await own.page.getByRole("button", { name: "New region" }).count()).toBe(0);
      // the region above: read, not changed (the API would refuse it)
      await own.page.goto(`${BASE_URL}/app/locations/${district.parent.uuid}`);
      await own.page.getByRole("heading", { level: 1, name: new RegExp(district.parent.name) }).waitFor();
      const link = own.page.getByRole("link", { name: district.name, exact: true });
      await link.waitFor();
      expect(await own.page.getByRole("group", { name: "Actions" }).count()).toBe(0);
      // their district: every change
      await link.click();
      const actions = own.page.getByRole("group", { name: "Actions" });
      await actions.waitFor();
      expect(await actions.getByRole("button").allInnerTexts()).toEqual([
        "Rename",
        "Move",
        "New municipality",
        "Delete",
      ]);
      expect(own.consoleErrors).toEqual([]);
    } finally {
      await own.context.close();
    }
  });
});

describe("a search text", () => {
  it("is taken only as long as the server accepts, and the box says so", async () => {
    await openLink("Locations");
    const box = page.getByRole("searchbox", { name: "Search locations by code or name" });
    await box.fill("Chey ".repeat(60)); // 300 characters
    expect((await box.inputValue()).length).toBe(200);
    await page.getByText("Search text is at most 200 characters.").waitFor();
    await page.getByRole("table", { name: "Search results" }).waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
  });
});

describe("GraphiQL", () => {
  it("renders from the server's own files and runs a query", async () => {
    await page.goto(`${BASE_URL}/graphql`);
    await page.locator(".graphiql-container").waitFor();
    // the editors are ready when the default query is in place
    await page.locator(".graphiql-query-editor").getByText("totalCount").waitFor();
    await page.getByRole("button", { name: /Execute query/ }).click();
    await page.locator(".result-window").getByText('"totalCount": 210').waitFor();
    await screenshot(page, "graphiql");
  });
});
