// The ShepLang extension: starts `sheplang lsp` for `.shep` files and talks LSP to it over
// stdio. Highlighting comes from the TextMate grammar; everything else from the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  const command = vscode.workspace.getConfiguration("sheplang").get("server.path", "sheplang");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "sheplang",
    "ShepLang",
    { run: server, debug: server },
    { documentSelector: [{ language: "shep" }] },
  );
  context.subscriptions.push(client);
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `ShepLang: cannot start \`${command} lsp\` (${err.message}); install the CLI with ` +
        "`cargo install --path sheplang-cli` or set `sheplang.server.path`.",
    );
  }
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
