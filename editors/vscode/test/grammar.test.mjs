// The TextMate grammar, run by the engine VS Code uses (vscode-textmate with oniguruma):
// every keyword of docs/language.md ("The keywords") is highlighted, and a real spec's comments,
// strings, numbers and declaration names get their scopes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import textmate from "vscode-textmate";
import oniguruma from "vscode-oniguruma";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const require = createRequire(import.meta.url);

async function grammar() {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== "source.shep") return null;
      const path = join(here, "..", "syntaxes", "shep.tmLanguage.json");
      return textmate.parseRawGrammar(readFileSync(path, "utf8"), path);
    },
  });
  return registry.loadGrammar("source.shep");
}

/** Each token of `line` as [text, innermost scope]. */
function tokenize(g, line) {
  const { tokens } = g.tokenizeLine(line, textmate.INITIAL);
  return tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]]);
}

/** The words in backticks of docs/language.md's "The keywords" section. */
function documentedKeywords() {
  const doc = readFileSync(join(root, "docs", "language.md"), "utf8");
  const start = doc.indexOf("### The keywords");
  assert.ok(start >= 0, "docs/language.md has a keywords section");
  const rest = doc.slice(start);
  const end = rest.indexOf("\n## ");
  const section = end >= 0 ? rest.slice(0, end) : rest;
  const words = [...section.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]);
  return [...new Set(words.filter((w) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(w) || w === "yes/no"))];
}

const HIGHLIGHTED = /^(keyword|storage|support|constant)\./;

test("every keyword of the language reference is highlighted", async () => {
  const g = await grammar();
  const keywords = documentedKeywords();
  assert.ok(keywords.length > 60, `only ${keywords.length} keywords found`);
  const missing = [];
  for (const word of keywords) {
    // Alone, and between other words as in a spec line.
    for (const line of [word, `x ${word} y`]) {
      const hit = tokenize(g, line).find(([text]) => text === word);
      if (!hit || !HIGHLIGHTED.test(hit[1])) missing.push(`${word} in "${line}": ${hit?.[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("a spec's parts get their scopes", async () => {
  const g = await grammar();
  const scopes = (line) =>
    Object.fromEntries(tokenize(g, line).map(([t, s]) => [t.trim(), s]).filter(([t]) => t));
  assert.equal(scopes("data Task { // rows")["Task"], "entity.name.type.shep");
  assert.equal(scopes("data Task { // rows")["// rows"], "comment.line.double-slash.shep");
  const field = scopes('title: text required minLength=3 default="x"');
  assert.equal(field["title:"], "source.shep", "a field name is no keyword");
  assert.equal(field['"x"'], "string.quoted.double.shep");
  assert.equal(field["3"], "constant.numeric.shep");
  assert.equal(scopes("owner: ref[User]")["User"], "entity.name.type.shep");
  assert.equal(scopes("done: yes/no")["yes/no"], "support.type.builtin.shep");
  assert.equal(scopes("# not a comment")["# not a comment"], "invalid.illegal.hash-comment.shep");
});
