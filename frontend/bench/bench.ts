// Browser benchmark on the quick-start data: a running server (make run), Chromium.
//
//   npm --prefix frontend run bench -- http://127.0.0.1:8000 [runs]
//
// Prints, over `runs` repetitions (default 10), median / p95 / min / max in ms of:
// - first screen, cold: a new browser context (empty cache) opens /app/locations until
//   the regions are listed and clickable;
// - first screen, warm: the same in a context that has loaded it once (cached files);
// - district -> payers: on a region's page, click a district until the payer module's
//   panel lists its payers (districts that have payers, one per run).
import { performance } from "node:perf_hooks";
import type { Browser, Page } from "playwright-core";

const base = process.argv[2] ?? process.env.E2E_BASE_URL ?? "http://127.0.0.1:8000";
const runs = Number(process.argv[3] ?? 10);
process.env.E2E_BASE_URL = base; // read by the helpers when they load
const { graphql, launch, login, newSession } = await import("../e2e/browser");

function summary(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const f = (x: number) => x.toFixed(0).padStart(6);
  return `${name.padEnd(28)} ${f(at(0.5))} ${f(at(0.95))} ${f(sorted[0])} ${f(sorted.at(-1)!)}   n=${samples.length}`;
}

async function firstScreen(page: Page): Promise<number> {
  const start = performance.now();
  await page.goto(`${base}/app/locations`);
  await page.getByRole("region", { name: "Regions" }).getByRole("link").first().waitFor();
  return performance.now() - start;
}

async function main(browser: Browser) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) {
    const session = await newSession(browser);
    await login(session.page);
    cold.push(await firstScreen(session.page));
    warm.push(await firstScreen(session.page));
    await session.context.close();
  }

  const session = await newSession(browser);
  await login(session.page);
  const page = session.page;
  const data = await graphql(
    page,
    `{ payers(first: 500) { edges { node { location { uuid name type parent { uuid } } } } } }`,
  );
  type Place = { uuid: string; name: string; type: string; parent: { uuid: string } | null };
  const seen = new Set<string>();
  const districts: Place[] = data.payers.edges
    .map((edge: { node: { location: Place | null } }) => edge.node.location)
    .filter((place: Place | null): place is Place => place?.type === "DISTRICT")
    .filter((place: Place) => !seen.has(place.uuid) && seen.add(place.uuid));
  const toPayers: number[] = [];
  for (const district of districts.slice(0, runs)) {
    await page.goto(`${base}/app/locations/${district.parent!.uuid}`);
    const list = page.getByRole("region", { name: "Districts" });
    await list.getByRole("link").first().waitFor();
    while ((await list.getByRole("link", { name: district.name, exact: true }).count()) === 0) {
      const before = await list.getByRole("navigation").innerText();
      await list.getByRole("button", { name: "Next" }).click();
      while ((await list.getByRole("navigation").innerText()) === before) await page.waitForTimeout(10);
    }
    const start = performance.now();
    await list.getByRole("link", { name: district.name, exact: true }).click();
    await page
      .getByRole("region", { name: `Payers of ${district.name}` })
      .getByRole("listitem")
      .first()
      .waitFor();
    toPayers.push(performance.now() - start);
  }
  await session.context.close();
  if (session.foreign.length) throw new Error(`requests to other hosts: ${session.foreign.join(", ")}`);

  console.log(`server ${base}, Chromium headless, ${runs} runs; times in ms`);
  console.log(`${"".padEnd(28)} ${"median".padStart(6)} ${"p95".padStart(6)} ${"min".padStart(6)} ${"max".padStart(6)}`);
  console.log(summary("first screen, cold cache", cold));
  console.log(summary("first screen, warm cache", warm));
  console.log(summary("district -> its payers shown", toPayers));
}

const browser = await launch();
try {
  await main(browser);
} finally {
  await browser.close();
}
