// Unit tests of vae_tutorial/explorer.js (node --test): the decoder, the float16 conversion and the
// seeded generator, against values that tests/test_explorer_js.py computes in Python from the same
// snapshot and writes to the JSON file named by EXPLORER_FIXTURE.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const source = readFileSync(new URL("../../vae_tutorial/explorer.js", import.meta.url), "utf8");
// A data: URL imports the file as an ES module whatever its extension (no package.json needed).
const explorer = await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
const fixture = JSON.parse(readFileSync(process.env.EXPLORER_FIXTURE, "utf8"));

const bytes = (b64) => new Uint8Array(Buffer.from(b64, "base64"));
const float64s = (b64) => {
  const raw = Buffer.from(b64, "base64");
  return new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
};
const asSpec = (spec) => ({
  ...spec,
  layers: spec.layers.map((l) => ({ ...l, w: bytes(l.w), b: bytes(l.b) })),
});

test("halfToFloat reads every float16 bit pattern as NumPy does", () => {
  const expected = float64s(fixture.half_values);
  assert.equal(expected.length, 65536);
  for (let h = 0; h < 65536; h++) {
    const got = explorer.halfToFloat(h);
    if (Number.isNaN(expected[h])) assert.ok(Number.isNaN(got), `pattern ${h}`);
    else assert.equal(got, expected[h], `pattern ${h}`);
  }
});

test("toFloat32 reads little-endian float32 and float16 buffers", () => {
  for (const { dtype, data, values } of fixture.buffers) {
    assert.deepEqual(Array.from(explorer.toFloat32(bytes(data), dtype)), Array.from(float64s(values)));
  }
  assert.throws(() => explorer.toFloat32(new Uint8Array(4), "int8"), /unknown weight dtype int8/);
});

for (const name of Object.keys(fixture.decoders)) {
  test(`makeDecoder decodes like the Python snapshot (${name})`, () => {
    const { spec, codes, intensities } = fixture.decoders[name];
    const decoder = explorer.makeDecoder(asSpec(spec));
    assert.equal(decoder.latentDim, spec.latent_dim);
    const expected = float64s(intensities);
    codes.forEach((z, k) => {
      const p = decoder.decode(Float64Array.from(z));
      assert.equal(p.length, 784);
      let worst = 0;
      for (let j = 0; j < 784; j++) worst = Math.max(worst, Math.abs(p[j] - expected[k * 784 + j]));
      assert.ok(worst < 1e-9, `code ${k}: largest difference ${worst}`);
    });
  });
}

test("makeDecoder refuses an activation it does not know", () => {
  const spec = asSpec(fixture.decoders[Object.keys(fixture.decoders)[0]].spec);
  assert.throws(() => explorer.makeDecoder({ ...spec, activation: "gelu" }), /unknown activation gelu/);
});

test("gaussian(seed) draws the same sequence as the Python reference", () => {
  for (const { seed, draws } of fixture.gaussian) {
    const normal = explorer.gaussian(seed);
    draws.forEach((value, k) => assert.ok(Math.abs(normal() - value) < 1e-12, `seed ${seed}, draw ${k}`));
  }
});
