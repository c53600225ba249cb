-- Run by scripts/test-editors.sh after the configuration lines of docs/editors.md:
-- opens a spec with an error, waits for the server's diagnostic, then jumps from `ref[User]`
-- to `data User` with go-to-definition. Exits 0 when both hold, 1 otherwise (with the reason).
local function fail(msg)
  io.stderr:write("nvim test: " .. msg .. "\n")
  vim.cmd("cquit 1")
end

local spec = vim.env.SHEP_SPEC
vim.cmd("edit " .. vim.fn.fnameescape(spec))
if vim.bo.filetype ~= "shep" then
  fail("the filetype is `" .. vim.bo.filetype .. "`, not `shep`")
end

-- The server publishes diagnostics after the file opens; wait for them (a guard, not a delay).
local got = vim.wait(30000, function()
  return #vim.diagnostic.get(0) > 0
end, 20)
if not got then
  fail("no diagnostic arrived from the server")
end
local diags = vim.diagnostic.get(0)
local d = diags[1]
local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
if #diags ~= 1 or code ~= "E0207" or not d.message:find("unknown type `boolean`", 1, true) then
  fail("unexpected diagnostics: " .. vim.inspect(diags))
end
-- Neovim's lines and columns are 0-based here: line 8, the `boolean` after `badge: `.
if d.lnum ~= 7 or d.col ~= 13 then
  fail("the diagnostic is at " .. d.lnum .. ":" .. d.col .. ", not 7:13")
end
print("diagnostic: " .. d.message:gsub("\n", " | "))

-- Go to definition from `User` in `ref[User]`.
local line = vim.fn.search("ref\\[User\\]")
vim.api.nvim_win_set_cursor(0, { line, vim.fn.col(".") + 3 })
vim.lsp.buf.definition()
local jumped = vim.wait(30000, function()
  return vim.api.nvim_win_get_cursor(0)[1] == 2
end, 20)
local cursor = vim.api.nvim_win_get_cursor(0)
if not jumped or cursor[2] ~= 7 then
  fail("go-to-definition left the cursor at " .. vim.inspect(cursor) .. ", not { 2, 7 }")
end
print("definition: line " .. cursor[1] .. ", column " .. cursor[2])
vim.cmd("qall!")
