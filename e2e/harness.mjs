// What every browser test file shares: a cxc server of its own on a fresh SQLite database,
// and Debian's Chromium (never a downloaded browser), both stopped after the file's tests.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

const bin = process.env.CXC_BIN;
assert.ok(bin, "CXC_BIN names the cxc binary to test");

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/// Starts `cxc serve` (with `serveArgs` added) once `prepare(cxc)` has run any other cxc
/// commands on its database; resolves to the site's address, the browser, a stop function, and
/// `cxc(args, input)`, which runs a cxc command on the site's database while it serves.
export async function site(name, { serveArgs = [], prepare } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `cxc-e2e-${name}-`));
  const database = join(dir, "e2e.sqlite3");
  const env = { ...process.env, CXC_LOG: "warn" };
  const cxc = (args, input) => {
    const made = spawnSync(bin, [...args, "--database", database], { input, env });
    assert.equal(made.status, 0, String(made.stderr));
  };
  prepare?.(cxc);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ["serve", ...serveArgs, "--database", database, "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const stop = async () => {
    await browser.close();
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, browser, stop, cxc };
}

/// Signs up through the sign-up form as `username` and waits to be let in.
export async function signUp(page, base, username) {
  await page.goto(`${base}/signup`);
  await page.fill("#username", username);
  await page.fill("#password", "a long enough password");
  await page.fill("#password_confirm", "a long enough password");
  await page.locator("form[action='/signup'] button[type=submit]").click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signup"));
}
