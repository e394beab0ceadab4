// The real server for the browser tests: `target/debug/smelt serve` on a free loopback port
// with a fresh data directory, accounts made through the API with the admin token, and the
// example solutions published with the `smelt publish` command.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, writeFileSync, rmSync, readdirSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import axe from "axe-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SMELT = process.env.SMELT_BIN || join(ROOT, "target", "debug", "smelt");
export const SHOTS = join(ROOT, "ui-tests", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/// `smelt demo` on a free loopback port with a fresh data directory: the real server with the
/// six example solutions published by the demo's provider (their components are the ones
/// host/artifacts built). Resolves once the demo printed its tokens.
export async function startServer() {
  const data = join(mkdtempSync(join(tmpdir(), "smelt-ui-")), "data");
  const child = spawn(SMELT, ["demo", "--data", data, "--addr", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  let out = "";
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo did not start: " + out + stderr)), 300_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m && /Ctrl-C stops the demo/.test(out)) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the demo exited ${code}: ${out}${stderr}`)); });
  });
  const admin = readFileSync(join(data, "admin.token"), "utf8").trim();
  const provider = out.match(/provider\s+\S+\s+(\S+)/)[1];
  return {
    base, admin, provider, data,
    async stop() {
      child.removeAllListeners("exit");
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dirname(data), { recursive: true, force: true });
    },
  };
}

export async function api(server, token, method, path, body) {
  const response = await fetch(server.base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function account(server, name, role) {
  const created = await api(server, server.admin, "POST", "/v1/accounts", { name, role });
  return created.token;
}

export async function browser() {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/// Signs in with the keyboard alone: Tab to the token field, type, Enter.
export async function signIn(page, server, token) {
  await page.goto(server.base + "/signin");
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement?.id === "token")) break;
  }
  await page.keyboard.type(token);
  await page.keyboard.press("Enter");
  await page.waitForURL(server.base + "/");
}

/// Screenshots at 1280×800 and 390×844, then restores the desktop size.
export async function shots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SHOTS, `${name}-390x844.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SHOTS, `${name}-1280x800.png`), fullPage: true });
}

/// axe-core on the current page; returns the serious and critical violations.
export async function axeCheck(page) {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

/// Tabs through the page and returns the visible, enabled controls Tab never reached (radio
/// groups count once: Tab enters a group at one radio).
export async function unreachable(page) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const controls = await page.evaluate(() => {
    const seen = new Set();
    const list = [];
    for (const el of document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")) {
      if (el.tabIndex < 0 || el.disabled || el.type === "hidden") continue;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0 && !el.matches(".skip")) continue;
      if (el.closest("details:not([open])") && !el.matches("summary")) continue;
      if (el.type === "radio") { if (seen.has(el.name)) continue; seen.add(el.name); }
      el.dataset.kbd = String(list.length);
      list.push(el.type === "radio" ? "radio:" + el.name : String(list.length));
    }
    return list;
  });
  const reached = new Set();
  for (let i = 0; i < controls.length + 10; i++) {
    await page.keyboard.press("Tab");
    const key = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return null;
      return el.type === "radio" ? "radio:" + el.name : el.dataset.kbd ?? null;
    });
    if (key !== null) reached.add(key);
  }
  return controls.filter((k) => !reached.has(k));
}

/// Every page check at once: screenshots, axe, keyboard reachability.
export async function checkPage(page, name, assert) {
  await shots(page, name);
  const violations = await axeCheck(page);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
  const missed = await unreachable(page);
  assert.deepEqual(missed, [], `${name}: controls Tab does not reach`);
}

export function csv(path, text) {
  writeFileSync(path, text);
  return path;
}

/// Publishes dye-lot-color-qc 0.1.1, the hostile test build whose default kL is 2 (so results
/// differ wherever L* differs), with the example's vectors at kL = 1 — as host/tests/all does.
export async function publishDyeLot011(server) {
  const build = join(ROOT, "target", "debug", "build");
  const candidates = readdirSync(build)
    .filter((d) => d.startsWith("smelt-artifacts-"))
    .map((d) => join(build, d, "out", "hostile-dye-lot-v0-1-1.wasm"))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (candidates.length === 0) throw new Error("no hostile-dye-lot-v0-1-1.wasm: run cargo build first");
  const dir = join(ROOT, "plugins", "dye-lot-color-qc");
  const manifest = readFileSync(join(dir, "smelt.toml"), "utf8").replace('version = "0.1.0"', 'version = "0.1.1"');
  const vectors = [];
  for (const block of manifest.split("[[vectors]]").slice(1)) {
    const field = (k) => block.match(new RegExp(`^${k} = "?([^"\\n]*)"?`, "m"))[1];
    const input = JSON.parse(readFileSync(join(dir, field("input")), "utf8"));
    input.params = { ...(input.params || {}), kl: 1.0 };
    vectors.push({
      name: field("name"), input,
      expected: JSON.parse(readFileSync(join(dir, field("expected")), "utf8")),
      tolerance: Number(field("tolerance")),
    });
  }
  const form = new FormData();
  form.append("manifest", manifest);
  form.append("component", new Blob([readFileSync(candidates[0])]), "component.wasm");
  form.append("vectors", JSON.stringify({ vectors }));
  const response = await fetch(server.base + "/v1/packages/dye-lot-color-qc/0.1.1", {
    method: "PUT", headers: { authorization: `Bearer ${server.provider}` }, body: form,
  });
  if (!response.ok) throw new Error(`publishing dye-lot 0.1.1: ${response.status} ${await response.text()}`);
}
