/**
 * Packs the `dr` task (our patient split) as re-encoded JPEGs in one file, for the from-scratch
 * GPU reference in bench/dr_ref.py (issue #6: is referable DR learnable from these images at all?).
 * Usage: node dist/bench/pack-dr.js OUT_DIR [size=192] [quality=80]
 * Writes OUT_DIR/dr.bin (concatenated JPEGs) and OUT_DIR/dr.json (id, split, label, grade, offset).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { planTask } from "../src/data";

async function main(): Promise<void> {
  const [out, sizeArg, qArg] = process.argv.slice(2);
  if (!out) throw new Error("usage: node dist/bench/pack-dr.js OUT_DIR [size=192] [quality=80]");
  const size = Number(sizeArg ?? 192);
  const quality = Number(qArg ?? 80);
  const plan = planTask("dr");
  const meta: object[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < plan.items.length; i++) {
    const split = plan.assigned[i];
    const image = plan.items[i].image;
    if (!split || image.kind !== "file") continue;
    const jpeg = await sharp(image.path).resize(size, size).jpeg({ quality }).toBuffer();
    meta.push({ id: plan.items[i].id, split, label: plan.labels[i], grade: Number(plan.items[i].rawLabel), off: offset, len: jpeg.length });
    parts.push(jpeg);
    offset += jpeg.length;
  }
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "dr.bin"), Buffer.concat(parts));
  fs.writeFileSync(path.join(out, "dr.json"), JSON.stringify(meta));
  console.log(`${meta.length} images at ${size}x${size}, ${(offset / 1e6).toFixed(1)} MB in ${out}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
