// Browser helpers for the end-to-end tests and the benchmark: Debian's chromium through
// playwright-core, a login as the demo user, and a record of every request the pages make
// to a host other than the server's (the tests assert there is none).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const BASE_URL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:8000";
export const MODULES = (process.env.E2E_MODULES ?? "location,payer").split(",");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
  });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** URLs requested from any other origin than BASE_URL. */
  foreign: string[];
  /** Errors the pages logged in the console, with their URL (a 404 such as /favicon.ico's). */
  consoleErrors: string[];
}

export async function newSession(browser: Browser): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(BASE_URL).origin;
  const foreign: string[] = [];
  context.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol !== "data:" && url.protocol !== "blob:" && url.origin !== origin) {
      foreign.push(request.url());
    }
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  return { context, page, foreign, consoleErrors };
}

/** Open `/`, log in on the page it leads to, and wait for the shell. */
export async function login(page: Page, username = "demo", password = "demo"): Promise<void> {
  await page.goto(`${BASE_URL}/`);
  await submitLogin(page, /\/app\/$/, username, password);
}

/** Log in on the login page the browser shows; wait for the shell at `landing`. */
export async function submitLogin(page: Page, landing: RegExp, username = "demo", password = "demo"): Promise<void> {
  await page.locator("#id_username").fill(username);
  await page.locator("#id_password").fill(password);
  await Promise.all([page.waitForURL(landing), page.locator("#id_password").press("Enter")]);
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/** Violations of axe-core's WCAG 2 A/AA rules on the current page. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.addScriptTag({ content: source });
  return page.evaluate(async () => {
    // @ts-expect-error axe is the global the script defines
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] });
    return result.violations.map(
      (v: { id: string; help: string; nodes: { target: string[] }[] }) =>
        `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
    );
  });
}

/** POST a GraphQL query with the page's session and CSRF token; returns `data`. */
export async function graphql(page: Page, query: string, variables: object = {}) {
  return page.evaluate(
    async ({ query, variables }) => {
      const config = JSON.parse(document.getElementById("openimis-config")!.textContent!);
      const response = await fetch(config.graphqlUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
    { query, variables },
  );
}

/** Save a screenshot under E2E_SCREENSHOTS (when set) as <name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.E2E_SCREENSHOTS;
  if (folder) await page.screenshot({ path: `${folder}/${name}.png`, fullPage: true });
}
