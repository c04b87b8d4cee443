import { chromium } from "playwright-core";
import { startServer } from "./scripts/serve.mjs";
const s = await startServer();
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless","--no-sandbox","--disable-gpu","--disable-background-networking","--disable-component-update","--no-first-run","--disable-quic","--disable-sync"] });
const p = await b.newPage({ viewport: { width: Number(process.env.W ?? 1440), height: Number(process.env.H ?? 860) } });
p.on("console", (m) => console.log("console", m.type(), m.text()));
p.on("pageerror", (e) => console.log("pageerror", e.message));
await p.goto(`${s.url}web/`);
await p.waitForFunction(() => (window as any).demo.ready);
if (process.argv[2]) { await p.selectOption("#rule", process.argv[2]); await p.click("#reset"); await p.waitForFunction((r) => (window as any).demo.model?.rule === r, process.argv[2]); }
await p.click("#start");
const secs = Number(process.argv[3] ?? 20);
for (let i = 0; i < secs; i += 5) { await new Promise(r => setTimeout(r, 5000)); const d = await p.evaluate(() => ({ b: (window as any).demo.batches, t: (window as any).demo.testError })); console.log(i + 5, JSON.stringify(d)); }
await p.click("#pause");
const box = (await p.locator("#pad").boundingBox())!;
// a "7"
await p.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.22); await p.mouse.down();
await p.mouse.move(box.x + box.width * 0.72, box.y + box.height * 0.22, { steps: 6 });
await p.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.82, { steps: 8 }); await p.mouse.up();
await new Promise(r => setTimeout(r, 1500));
await p.screenshot({ path: process.argv[4] ?? "/tmp/demo.png" });
await b.close(); await s.close();
