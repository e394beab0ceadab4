// The web UI in a real browser, on the real server: an enterprise signs in, searches, tries
// solutions with a CSV and sees their charts, deploys one and invokes it; a reviewer runs
// conformance and approves a version; an admin opens the dashboard. Every page is
// screenshotted at two sizes, checked with axe-core and walked with the keyboard.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  startServer, account, api, publishDyeLot011, browser, signIn, checkPage, csv,
} from "./harness.mjs";

/// The six examples `smelt demo` publishes.
const EXAMPLES = ["aql-sampling", "dye-lot-color-qc", "fabric-four-point", "flowshop-scheduler", "oee-calculator", "spc-capability"];
/// Left pending so the reviewer approves it through the UI.
const PENDING = "oee-calculator";
let server, chrome, tokens;
const files = mkdtempSync(join(tmpdir(), "smelt-ui-files-"));

before(async () => {
  server = await startServer();
  tokens = {
    enterprise: await account(server, "ui-textile", "enterprise"),
    reviewer: await account(server, "ui-reviewer", "reviewer"),
  };
  for (const name of EXAMPLES) {
    if (name !== PENDING) {
      await api(server, tokens.reviewer, "POST", `/v1/reviews/${name}/0.1.0/decision`, { decision: "approve", note: "ok" });
    }
  }
  await publishDyeLot011(server);
  await api(server, tokens.reviewer, "POST", "/v1/reviews/dye-lot-color-qc/0.1.1/decision", { decision: "approve", note: "ok" });
  await api(server, tokens.enterprise, "PUT", "/v1/profile", { industry: "textile-dyeing", employees: 120, revenue_wan_cny: 8000 });
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await server?.stop();
});

async function session(token) {
  const context = await chrome.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  await signIn(page, server, token);
  return { context, page };
}

test("sign-in page: keyboard and accessibility; a bad token is refused", async () => {
  const context = await chrome.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(server.base + "/");
  assert.match(page.url(), /\/signin$/);
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await checkPage(page, "signin", assert);
  await page.fill("#token", "not-a-token");
  await page.keyboard.press("Enter");
  await page.waitForSelector("p.error");
  assert.match(await page.textContent("p.error"), /令牌无效/);
  // The session cookie is HttpOnly and SameSite=Strict; the token is not in it.
  await signIn(page, server, tokens.enterprise);
  const cookies = await context.cookies();
  const sessionCookie = cookies.find((c) => c.name === "smelt_session");
  assert.ok(sessionCookie.httpOnly);
  assert.equal(sessionCookie.sameSite, "Strict");
  assert.ok(!sessionCookie.value.includes(tokens.enterprise));
  await context.close();
});

test("enterprise: search, try with a CSV and see the chart, deploy, invoke", async () => {
  const { context, page } = await session(tokens.enterprise);
  // Catalog: cards for the approved solutions only.
  await page.waitForSelector("li.card");
  assert.equal(await page.locator("li.card").count(), EXAMPLES.length - 1);
  await checkPage(page, "catalog", assert);

  // Search with the keyboard: focus the search box, type, Enter.
  await page.focus("#q");
  await page.keyboard.type("dye");
  await page.keyboard.press("Enter");
  await page.waitForURL(/q=dye/);
  assert.equal(await page.locator("li.card").count(), 1);
  // Filter by industry.
  await page.goto(server.base + "/?industry=electronics");
  assert.equal(await page.locator("li.card").count(), 2);
  assert.match(await page.textContent("ul.cards"), /spc-capability/);
  await page.goto(server.base + "/?q=dye");

  // English by the toggle, then back.
  await page.click("a.lang");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.match(await page.textContent("h1"), /Catalog/);
  await page.click("a.lang");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");

  // Solution page: versions, schema with units, scorecard, review state.
  await page.click("li.card h2 a");
  await page.waitForSelector("#schema");
  assert.match(await page.textContent("main"), /ΔE00/);
  assert.match(await page.textContent("main"), /已通过/);
  await checkPage(page, "solution", assert);

  // Try SPC with a CSV whose last subgroups drift: the control chart marks violations.
  await page.goto(server.base + "/solutions/spc-capability");
  await page.click("a.button");
  await page.waitForSelector("input[type=file]");
  await checkPage(page, "try-form", assert);
  // 25 subgroups of 5 around 74.000 mm (σ ≈ 0.01, a fixed pseudo-random sequence); the last
  // five shifted up by 0.03 mm, which breaks rule 1 on the X̄ chart.
  let seed = 12345;
  const noise = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed / 2147483648 - 0.5) * 0.035; };
  let rows = "subgroup,value\n";
  for (let g = 1; g <= 25; g++) {
    for (let i = 0; i < 5; i++) {
      rows += `S${g},${(74.0 + (g > 20 ? 0.03 : 0) + noise()).toFixed(4)}\n`;
    }
  }
  await page.setInputFiles("#table-measurements", csv(join(files, "spc.csv"), rows));
  await page.click("form.card button[type=submit]");
  await page.waitForSelector("#control-chart");
  assert.ok((await page.locator("#control-chart circle.violation").count()) > 0, "violations marked");
  assert.ok((await page.locator("ul.findings li").count()) > 0, "findings listed");
  await checkPage(page, "try-spc-result", assert);

  // A bad CSV names the line and the column.
  await page.setInputFiles("#table-measurements", csv(join(files, "bad.csv"), "subgroup,value\n1,74.0\n1,abc\n"));
  await page.click("form.card button[type=submit]");
  await page.waitForSelector("#problem");
  const problem = await page.textContent("#problem");
  assert.match(problem, /line 3/);
  assert.match(problem, /value/);

  // Colour QC on its sample: ΔE per batch against the tolerance line.
  await page.goto(server.base + "/solutions/dye-lot-color-qc/0.1.0/try");
  await page.check("#sample");
  await page.click("form.card button[type=submit]");
  await page.waitForSelector("#delta-e line.tolerance", { state: "attached" });
  await checkPage(page, "try-dye-lot-result", assert);

  // The scheduler on its sample: a Gantt chart.
  await page.goto(server.base + "/solutions/flowshop-scheduler/0.1.0/try");
  await page.check("#sample");
  await page.click("form.card button[type=submit]");
  await page.waitForSelector("#gantt rect.bar");
  await checkPage(page, "try-flowshop-result", assert);

  // Deploy colour QC, then invoke it with a CSV per table.
  await page.goto(server.base + "/solutions/dye-lot-color-qc?v=0.1.0");
  await page.click("form.inline button[type=submit]");
  await page.waitForURL(/\/deployments\/dep-/);
  await page.setInputFiles("#table-standard", csv(join(files, "std.csv"), "L,a,b\n50,2.5,-10\n"));
  await page.setInputFiles("#table-batches", csv(join(files, "batches.csv"), "batch,L,a,b\nB1,50,2.6,-10\nB2,52,4,-8\n"));
  await page.locator("form.card").first().locator("button[type=submit]").click();
  await page.waitForSelector("#delta-e");
  assert.match(await page.textContent("section.result"), /B2/);
  await checkPage(page, "deployment", assert);

  // Upgrade to 0.1.1 (default kL = 2): the dry run's gate report shows the kept input's output
  // differing, side by side, and does not switch.
  await page.fill("#target", "=0.1.1");
  await page.locator("form.card").nth(1).locator("button[type=submit]").click();
  await page.waitForSelector("section.gate");
  assert.match(await page.textContent("section.gate"), /不通过/);
  // The output diff side by side: where, the current version's value, the candidate's.
  assert.ok((await page.locator("section.gate table.differences tbody tr").count()) > 0, "differences listed");
  assert.match(await page.textContent("section.gate table.differences"), /delta_e00/);
  assert.equal(await page.locator("section.gate .side-by-side").first().locator("> div").count(), 2);
  await checkPage(page, "upgrade-gate", assert);
  // Forced, it switches; rollback returns to 0.1.0; the history has all three.
  await page.fill("#target", "=0.1.1");
  await page.uncheck("#dry");
  await page.check("#force");
  await page.locator("form.card").nth(1).locator("button[type=submit]").click();
  await page.waitForSelector("section.gate");
  assert.match(await page.textContent("section.gate"), /已切换/);
  await page.locator("form.inline button[type=submit]").click();
  await page.waitForSelector("p.ok[role=status]");
  const history = await page.textContent("#history ~ div table");
  for (const action of ["deploy", "upgrade", "rollback"]) assert.match(history, new RegExp(action));

  await page.goto(server.base + "/deployments");
  assert.match(await page.textContent("main"), /dye-lot-color-qc/);
  await checkPage(page, "deployments", assert);
  await context.close();
});

test("enterprise: self-assessment with a radar, a need and its matches", async () => {
  const { context, page } = await session(tokens.enterprise);
  await page.goto(server.base + "/assessment");
  await checkPage(page, "assessment", assert);
  // Answer the first item of each dimension shown, and rate two scenes.
  for (const radio of await page.locator("details[open] fieldset.item").all()) {
    await radio.locator("input").last().check();
  }
  await page.locator("form.wizard button[type=submit]").click();
  await page.waitForSelector("#radar polygon.area", { state: "attached" });
  assert.match(await page.textContent("#assess-result ~ p.level-big, .level-big"), /级/);
  await checkPage(page, "assessment-result", assert);

  await page.goto(server.base + "/needs");
  await checkPage(page, "needs", assert);
  await page.selectOption("#n-industry", "textile-dyeing");
  await page.check("#n-scene-quality");
  await page.locator("form.card button[type=submit]").click();
  await page.waitForURL(/\/needs\/.+/);
  await page.waitForSelector("ol.cards li.card");
  assert.match(await page.textContent("ol.cards"), /dye-lot-color-qc|色/);
  await checkPage(page, "matches", assert);
  await context.close();
});

test("reviewer: conformance with live progress, then approve", async () => {
  const { context, page } = await session(tokens.reviewer);
  await page.goto(server.base + "/review");
  assert.match(await page.textContent("main"), new RegExp(PENDING));
  await checkPage(page, "review-queue", assert);
  await page.click(`a[href='/review/${PENDING}/0.1.0']`);
  await page.waitForSelector("#conformance-form");
  await checkPage(page, "review-version", assert);
  await page.waitForSelector("#conformance-form[data-live]", { state: "attached" });
  await page.click("#conformance-form button");
  await page.waitForSelector("#progress-log li", { timeout: 120_000 });
  await page.waitForSelector("#progress-done a", { timeout: 120_000 });
  assert.ok(Number(await page.getAttribute("#progress", "value")) > 0, "progress advanced");
  await page.keyboard.press("Enter"); // the link has the focus

  await page.waitForSelector("table tr.outcome-pass", { timeout: 120_000 });
  await page.fill("#note", "checked against the references <b>ok</b>");
  await page.locator("form.card button[type=submit]").click();
  await page.waitForSelector("span.state-approved");
  // The note is shown as text, not markup.
  await page.goto(server.base + `/solutions/${PENDING}?v=0.1.0`);
  assert.match(await page.textContent("#review ~ p:last-of-type, main"), /<b>ok<\/b>/);
  await context.close();
  const listed = await api(server, tokens.enterprise, "GET", "/v1/packages?q=oee");
  assert.equal(listed.packages.length, 1);
});

test("admin: the dashboard's charts", async () => {
  const { context, page } = await session(server.admin);
  await page.goto(server.base + "/dashboard");
  await page.waitForSelector("#targets-chart rect");
  assert.ok((await page.locator("svg.chart").count()) >= 4);
  await checkPage(page, "dashboard", assert);
  await context.close();
});
