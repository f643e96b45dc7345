-- Neovim end-to-end driver: loads editors/neovim through its public setup(),
-- opens the fixture and checks, step by step, the diagnostics the real server
-- publishes (rule, severity, LSP range and the highlighted text), a quick fix,
-- a fix-all, typed edits, the file written to disk, the module's defaults
-- (keymaps, severity_sort) and a new buffer checked before it is saved.
--
-- Run by e2e/neovim/run.sh; inputs come from the environment:
--   KPL_REPO  repository root     KPL_BIN   server binary
--   KPL_WORK  scratch directory (holds the copy of the fixture that is edited)
-- Results go to stdout ("ok ..."/"FAIL ..."); exit code 0 only if all passed.

local repo = assert(os.getenv('KPL_REPO'), 'KPL_REPO not set')
local bin = assert(os.getenv('KPL_BIN'), 'KPL_BIN not set')
local work = assert(os.getenv('KPL_WORK'), 'KPL_WORK not set')
local e2e = repo .. '/e2e'
local TIMEOUT = tonumber(os.getenv('KPL_TIMEOUT_MS') or '8000')
-- KPL_E2E_RECORD=1 rewrites the expected files from what the server does (review the git diff!).
local RECORD = os.getenv('KPL_E2E_RECORD') == '1'

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end

local function read_file(path)
  local f = assert(io.open(path, 'rb'), 'cannot open ' .. path)
  local s = f:read('*a')
  f:close()
  return s
end

local function read_json(path)
  return vim.fn.json_decode(read_file(path))
end

local failures = 0
local function check(ok, name, detail)
  if ok then
    out('ok   ' .. name)
  else
    failures = failures + 1
    out('FAIL ' .. name .. (detail and ('\n' .. detail) or ''))
  end
  return ok
end

-- Raw publishDiagnostics, by URI, captured before Neovim converts them.
local published = {}
local publish_count = 0
local last_publish = 0
local server_exit -- set when the server process ends

local function main()
  vim.cmd('filetype on')
  vim.opt.runtimepath:prepend(repo .. '/editors/neovim')
  vim.opt.swapfile = false

  local default_publish = vim.lsp.handlers['textDocument/publishDiagnostics']
  local kpl = require('kube_policy_ls')
  kpl.setup({
    cmd = { bin, 'serve', '--log-file', work .. '/server.log', '--log-level', 'debug' },
    settings = {
      debounceMs = 0,
      -- Stays quiet only if the settings reach the server (the fixture sets no runAsUser).
      rules = { ['run-as-high-uid'] = { enabled = false } },
    },
    flags = { debounce_text_changes = 0 },
    on_exit = function(code, signal)
      server_exit = string.format('server exited (code %s, signal %s)', tostring(code), tostring(signal))
    end,
    handlers = {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
        published[result.uri] = result.diagnostics
        publish_count = publish_count + 1
        last_publish = vim.loop.hrtime()
        return default_publish(err, result, ctx, config)
      end,
    },
  })

  -- Opens a file as YAML (filetype detection may not know .yaml here) and returns its buffer.
  local function edit_yaml(file)
    vim.cmd('edit ' .. vim.fn.fnameescape(file))
    if vim.bo.filetype ~= 'yaml' then
      vim.bo.filetype = 'yaml'
    end
    return vim.api.nvim_get_current_buf()
  end

  -- 1. A YAML file that is not a manifest gets no client.
  edit_yaml(work .. '/values.yaml')
  vim.wait(300)
  check(#kpl.clients(vim.api.nvim_get_current_buf()) == 0, 'no client on a YAML file without apiVersion/kind')

  -- 2. The manifest: the client attaches and the expected diagnostics arrive.
  local path = work .. '/deploy.yaml'
  local bufnr = edit_yaml(path)
  local uri = vim.uri_from_bufnr(bufnr)
  vim.wait(TIMEOUT, function()
    return #kpl.clients(bufnr) > 0 or server_exit ~= nil
  end, 20)
  if not check(#kpl.clients(bufnr) > 0 and not server_exit,
    'client attaches to the manifest (filetype ' .. vim.bo.filetype .. ')', server_exit) then
    return
  end
  local client = kpl.clients(bufnr)[1]

  -- Normalises LSP diagnostics of buffer buf (default: the manifest) to the expected-file shape, sorted.
  local function normalise(diags, buf)
    local lines = vim.api.nvim_buf_get_lines(buf or bufnr, 0, -1, false)
    local res = {}
    for _, d in ipairs(diags or {}) do
      local r = d.range
      local text = '?'
      if r.start.line == r['end'].line and lines[r.start.line + 1] then
        local line = lines[r.start.line + 1]
        local ok1, s = pcall(vim.str_byteindex, line, r.start.character, true)
        local ok2, e = pcall(vim.str_byteindex, line, r['end'].character, true)
        if ok1 and ok2 then
          text = line:sub(s + 1, e)
        end
      end
      table.insert(res, {
        code = d.code,
        severity = d.severity,
        range = { r.start.line, r.start.character, r['end'].line, r['end'].character },
        text = text,
        source = d.source,
      })
    end
    table.sort(res, function(a, b)
      for i = 1, 4 do
        if a.range[i] ~= b.range[i] then
          return a.range[i] < b.range[i]
        end
      end
      return tostring(a.code) < tostring(b.code)
    end)
    return res
  end

  local function same(got, want)
    if #got ~= #want then
      return false
    end
    for i, w in ipairs(want) do
      local g = got[i]
      if g.code ~= w.code or g.severity ~= w.severity or g.text ~= w.text or g.source ~= 'kube-policy-ls' then
        return false
      end
      for k = 1, 4 do
        if g.range[k] ~= w.range[k] then
          return false
        end
      end
    end
    return true
  end

  local function show(list)
    local s = {}
    for _, d in ipairs(list) do
      table.insert(s, string.format('  %-28s sev=%s [%d,%d-%d,%d] %q src=%s', d.code, tostring(d.severity),
        d.range[1], d.range[2], d.range[3], d.range[4], d.text, tostring(d.source)))
    end
    return table.concat(s, '\n')
  end

  local function write_expected(path, list)
    local rows = {}
    for _, d in ipairs(list) do
      table.insert(rows, string.format('  {"code": %s, "severity": %d, "range": [%d, %d, %d, %d], "text": %s}',
        vim.fn.json_encode(d.code), d.severity, d.range[1], d.range[2], d.range[3], d.range[4], vim.fn.json_encode(d.text)))
    end
    local f = assert(io.open(path, 'wb'))
    f:write(#rows == 0 and '[]\n' or ('[\n' .. table.concat(rows, ',\n') .. '\n]\n'))
    f:close()
  end

  local step_start = 0
  -- Waits until the published diagnostics of a buffer (default: the manifest) equal the
  -- expected file's.
  local function expect_diagnostics(name, expected_file, buf)
    local buf_uri = buf and vim.uri_from_bufnr(buf) or uri
    if RECORD then
      -- wait for a publish after the step began, then 300 ms of quiet
      vim.wait(TIMEOUT, function()
        return publish_count > step_start and (vim.loop.hrtime() - last_publish) > 300e6
      end, 20)
      step_start = publish_count
      write_expected(expected_file, normalise(published[buf_uri], buf))
      return check(true, name .. ' (recorded ' .. expected_file .. ')')
    end
    step_start = publish_count
    local want = read_json(expected_file)
    local got
    local ok = vim.wait(TIMEOUT, function()
      got = normalise(published[buf_uri], buf)
      return same(got, want) or server_exit ~= nil
    end, 20)
    ok = ok and not server_exit
    return check(ok, name, 'want:\n' .. show(want) .. '\ngot:\n' .. show(got or {}) .. (server_exit and ('\n' .. server_exit) or ''))
  end

  -- The squiggles Neovim shows cover the same text (its own UTF-16 -> byte conversion).
  local function check_rendered(name)
    local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    local bad = {}
    local shown = vim.diagnostic.get(bufnr)
    for _, d in ipairs(shown) do
      local text = lines[d.lnum + 1]:sub(d.col + 1, d.end_col)
      local ok = (d.code == 'privileged-container' and text == 'privileged: true')
        or (d.code == 'host-network' and text == 'hostNetwork: true')
        or (d.code == 'host-pid' and text == 'hostPID: true')
        or (d.code ~= 'privileged-container' and d.code ~= 'host-network' and d.code ~= 'host-pid')
      if not ok then
        table.insert(bad, string.format('%s at %d:%d-%d shows %q', d.code, d.lnum, d.col, d.end_col, text))
      end
    end
    check(#shown > 0 and #bad == 0, name, table.concat(bad, '\n'))
  end

  if not expect_diagnostics('initial diagnostics', e2e .. '/expected/initial.json') then
    return
  end
  check_rendered('rendered ranges cover the offending text (UTF-16 line included)')

  -- Finds the raw LSP diagnostic for a rule on a line.
  local function diagnostic(code, line)
    for _, d in ipairs(published[uri] or {}) do
      if d.code == code and d.range.start.line == line then
        return d
      end
    end
    error(string.format('no %s diagnostic on line %d', code, line))
  end

  local function code_actions(diag, only)
    local params = {
      textDocument = { uri = uri },
      range = diag.range,
      context = { diagnostics = { diag }, only = only },
    }
    local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, TIMEOUT)
    local actions = {}
    for _, resp in pairs(responses or {}) do
      for _, a in ipairs(resp.result or {}) do
        table.insert(actions, a)
      end
    end
    return actions
  end

  local function titles(actions)
    local t = {}
    for _, a in ipairs(actions) do
      table.insert(t, string.format('  %q kind=%s preferred=%s', a.title, tostring(a.kind), tostring(a.isPreferred)))
    end
    return table.concat(t, '\n')
  end

  local function apply(action)
    if action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or 'utf-16')
    end
    local cmd = action.command
    if type(cmd) == 'table' then
      -- The server answers with workspace/applyEdit, which Neovim applies.
      local resp = vim.lsp.buf_request_sync(bufnr, 'workspace/executeCommand',
        { command = cmd.command, arguments = cmd.arguments }, TIMEOUT)
      for _, r in pairs(resp or {}) do
        assert(not r.err, 'executeCommand failed: ' .. vim.inspect(r.err))
      end
    end
  end

  -- 3. Quick fix on the privileged container of the Pod (the line with non-ASCII text).
  local priv = diagnostic('privileged-container', 68)
  local actions = code_actions(priv, { 'quickfix' })
  local fix
  for _, a in ipairs(actions) do
    if a.isPreferred and a.kind == 'quickfix' and (a.edit or a.command) then
      fix = fix or a
    end
  end
  if not check(fix ~= nil, 'a preferred quick fix is offered for privileged-container', titles(actions)) then
    return
  end
  check(fix.title:match('privileged') ~= nil and fix.title:match('debug') ~= nil,
    'quick fix title names the field and the container: ' .. fix.title)
  apply(fix)
  check(vim.api.nvim_buf_get_lines(bufnr, 68, 69, false)[1]:find('privileged: false', 1, true) ~= nil,
    'quick fix wrote privileged: false into the flow mapping')
  expect_diagnostics('diagnostics after the quick fix', e2e .. '/neovim/expected/after-quickfix.json')

  -- 4. Fix all read-only-root-filesystem problems in this file.
  local ro_line
  for _, d in ipairs(read_json(e2e .. '/expected/initial.json')) do
    if d.code == 'read-only-root-filesystem' then
      ro_line = ro_line or d.range[1]
    end
  end
  local ro = diagnostic('read-only-root-filesystem', ro_line)
  actions = code_actions(ro, { 'quickfix' })
  local fixall
  for _, a in ipairs(actions) do
    if a.title:match('^Fix all') and a.title:match('read%-only%-root%-filesystem') then
      fixall = a
    end
  end
  if not check(fixall ~= nil, 'a "Fix all read-only-root-filesystem" action is offered', titles(actions)) then
    return
  end
  apply(fixall)
  expect_diagnostics('diagnostics after fix-all', e2e .. '/neovim/expected/after-fixall.json')

  -- 5. Typing, keystroke by keystroke in insert mode (autoindent gives the
  --    indentation), as a user would: first a typo, then its correction.
  vim.bo.indentexpr = ''
  vim.bo.autoindent = true
  local host_network_line
  for i, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if l:match('^%s*hostNetwork: true') then
      host_network_line = i
    end
  end
  local function typed_line()
    return vim.api.nvim_buf_get_lines(bufnr, host_network_line, host_network_line + 1, false)[1]
  end
  local function type_keys(keys)
    vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'xt', false)
  end
  vim.api.nvim_win_set_cursor(0, { host_network_line, 0 })
  type_keys('ohostPID: ture<Esc>')
  check(typed_line() == '      hostPID: ture', 'typed line is in the buffer', typed_line())
  -- `ture` is a string, not true: no host-pid finding yet, the rest moved down a line.
  expect_diagnostics('diagnostics after typing a typo', e2e .. '/neovim/expected/after-typo.json')
  type_keys('bcwtrue<Esc>')
  check(typed_line() == '      hostPID: true', 'typo corrected in the buffer', typed_line())
  expect_diagnostics('diagnostics after the correction (new host-pid problem appears)',
    e2e .. '/neovim/expected/after-typing.json')
  check_rendered('rendered ranges after typing')

  -- 6. Write the file and compare it with the expected output.
  vim.cmd('write')
  local got = read_file(path)
  if RECORD then
    local f = assert(io.open(e2e .. '/neovim/expected/deploy.yaml', 'wb'))
    f:write(got)
    f:close()
  end
  local want = read_file(e2e .. '/neovim/expected/deploy.yaml')
  if not check(got == want, 'written file equals e2e/neovim/expected/deploy.yaml') then
    local f = io.open(work .. '/deploy.got.yaml', 'wb')
    f:write(got)
    f:close()
    out(vim.fn.system({ 'diff', '-u', e2e .. '/neovim/expected/deploy.yaml', work .. '/deploy.got.yaml' }))
  end

  -- 7. The module's defaults: hover on K, code actions on gra (no user mapping
  --    here), and severity-sorted signs for this server's diagnostics.
  local k = vim.fn.maparg('K', 'n', false, true)
  check(k.buffer == 1 and (k.desc or ''):find('kube-policy-ls', 1, true) ~= nil, 'K is hover in the manifest buffer',
    vim.inspect(k))
  check(vim.fn.maparg('gra', 'n', false, true).buffer == 1, 'gra is code action in the manifest buffer')
  local ns_config = vim.diagnostic.config(nil, vim.lsp.diagnostic.get_namespace(client.id))
  check(ns_config.severity_sort == true, 'severity_sort is on for the server\'s diagnostics', vim.inspect(ns_config))

  -- 8. A new file is checked as soon as its apiVersion:/kind: lines are typed, before any :w.
  local new_path = work .. '/new.yaml'
  local new_buf = edit_yaml(new_path)
  vim.wait(200)
  check(#kpl.clients(new_buf) == 0, 'no client on the empty new buffer')
  type_keys('iapiVersion: v1<CR>kind: Pod<CR>metadata:<CR>  name: p<CR><C-u>spec:<CR>  hostPID: true<Esc>')
  local new_uri = vim.uri_from_bufnr(new_buf)
  local attached = vim.wait(TIMEOUT, function()
    for _, d in ipairs(published[new_uri] or {}) do
      if d.code == 'host-pid' then
        return true
      end
    end
    return false
  end, 20)
  check(attached and vim.fn.filereadable(new_path) == 0, 'a new, unsaved buffer is checked as it is typed',
    vim.inspect(published[new_uri]))

  -- 9. A Helm chart (e2e/fixtures/chart): the template and values.yaml both open, the
  -- finding on the template line that writes the field and on the values key; the values
  -- quick fix, applied unsaved, clears it in both after the re-render (the template keeps
  -- its other finding, so the re-render is seen, not just an empty publish).
  local function chart_step()
    local tpl_buf = edit_yaml(work .. '/chart/templates/deployment.yaml')
    local values_buf = edit_yaml(work .. '/chart/values.yaml')
    local attached = vim.wait(TIMEOUT, function()
      return #kpl.clients(tpl_buf) > 0 and #kpl.clients(values_buf) > 0
    end, 20)
    if not check(attached, 'chart: the client attaches to the template and to values.yaml') then
      return
    end
    -- No root marker: the chart's files join the client already running for the directory
    -- above them. Two servers would each render the chart from their own buffers and
    -- contradict each other on the same files.
    local tpl_clients, values_clients = kpl.clients(tpl_buf), kpl.clients(values_buf)
    check(#tpl_clients == 1 and #values_clients == 1 and tpl_clients[1].id == client.id
      and values_clients[1].id == client.id, 'chart: the template and values.yaml join the running client',
      string.format('template %d client(s), values.yaml %d, of %d in all', #tpl_clients, #values_clients, #kpl.clients()))
    step_start = publish_count
    local both = expect_diagnostics('chart: template diagnostics', e2e .. '/expected/chart-template.json', tpl_buf)
    both = expect_diagnostics('chart: values.yaml diagnostics', e2e .. '/expected/chart-values.json', values_buf) and both
    if not both then
      return
    end
    local values_uri = vim.uri_from_bufnr(values_buf)
    local vd
    for _, d in ipairs(published[values_uri] or {}) do
      if d.code == 'privileged-container' then
        vd = d
      end
    end
    local resp = vim.lsp.buf_request_sync(values_buf, 'textDocument/codeAction', {
      textDocument = { uri = values_uri }, range = vd.range, context = { diagnostics = { vd }, only = { 'quickfix' } },
    }, TIMEOUT)
    local values_fix
    local offered = {}
    for _, r in pairs(resp or {}) do
      for _, a in ipairs(r.result or {}) do
        table.insert(offered, a)
        if a.edit and a.title:find('Fix privileged-container in values.yaml', 1, true) then
          values_fix = values_fix or a
        end
      end
    end
    if not check(values_fix ~= nil, 'chart: the values quick fix is offered on values.yaml', titles(offered)) then
      return
    end
    vim.lsp.util.apply_workspace_edit(values_fix.edit, client.offset_encoding or 'utf-16')
    local fixed_line = vim.api.nvim_buf_get_lines(values_buf, vd.range.start.line, vd.range.start.line + 1, false)[1]
    check(fixed_line == '  privileged: false', 'chart: the values fix wrote privileged: false in the buffer', fixed_line)
    step_start = publish_count
    expect_diagnostics('chart: template diagnostics after the values fix (unsaved)',
      e2e .. '/expected/chart-template-fixed.json', tpl_buf)
    expect_diagnostics('chart: values.yaml diagnostics after the values fix (unsaved)',
      e2e .. '/expected/chart-values-fixed.json', values_buf)
    check(vim.bo[values_buf].modified, 'chart: values.yaml is still unsaved (the render used the buffer)')
  end
  chart_step()

  -- 10. A Kustomize overlay (e2e/fixtures/overlay): its strategic-merge patch open alone, the
  -- finding the overlay builds placed on the patch line, its message naming the overlay; the
  -- fix in the patch, applied unsaved, clears it after the overlay is built again from the
  -- buffer.
  local patch_buf = edit_yaml(work .. '/overlay/prod/privileged.yaml')
  if not check(vim.wait(TIMEOUT, function() return #kpl.clients(patch_buf) > 0 end, 20),
    'overlay: the client attaches to the patch') then
    return
  end
  step_start = publish_count
  if not expect_diagnostics('overlay: patch diagnostics', e2e .. '/expected/overlay-patch.json', patch_buf) then
    return
  end
  local patch_uri = vim.uri_from_bufnr(patch_buf)
  local pd
  for _, d in ipairs(published[patch_uri] or {}) do
    if d.code == 'privileged-container' then
      pd = d
    end
  end
  -- no root marker: the patch joins the running client, whose workspace folder is the scratch
  -- directory, and the overlay is named from there
  check(vim.endswith(pd.message, ' (in overlay overlay/prod/)'), 'overlay: the message names the overlay', pd.message)
  local presp = vim.lsp.buf_request_sync(patch_buf, 'textDocument/codeAction', {
    textDocument = { uri = patch_uri }, range = pd.range, context = { diagnostics = { pd }, only = { 'quickfix' } },
  }, TIMEOUT)
  local patch_fix
  local poffered = {}
  for _, r in pairs(presp or {}) do
    for _, a in ipairs(r.result or {}) do
      table.insert(poffered, a)
      if a.edit and a.title:find('Fix privileged-container in privileged.yaml', 1, true) then
        patch_fix = patch_fix or a
      end
    end
  end
  if not check(patch_fix ~= nil, 'overlay: the fix in the patch is offered', titles(poffered)) then
    return
  end
  vim.lsp.util.apply_workspace_edit(patch_fix.edit, client.offset_encoding or 'utf-16')
  local patched = vim.api.nvim_buf_get_lines(patch_buf, pd.range.start.line, pd.range.start.line + 1, false)[1]
  check(patched == '            privileged: false', 'overlay: the fix wrote privileged: false in the patch buffer', patched)
  step_start = publish_count
  expect_diagnostics('overlay: patch diagnostics after the fix (unsaved)', e2e .. '/expected/overlay-patch-fixed.json', patch_buf)
  check(vim.bo[patch_buf].modified, 'overlay: the patch is still unsaved (the build used the buffer)')
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  out('FAIL driver error: ' .. tostring(err))
  failures = failures + 1
end
if failures > 0 then
  out(failures .. ' check(s) failed')
  vim.cmd('cquit 1')
else
  out('all checks passed')
  vim.cmd('qall!')
end
