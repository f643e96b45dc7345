-- kube-policy-ls for Neovim's built-in LSP client (0.7 and later).
--
--   require('kube_policy_ls').setup({
--     cmd = { '/path/to/kube-policy-ls', 'serve' },   -- default: kube-policy-ls on PATH
--     settings = { profile = 'recommended', rules = { ['cpu-limits'] = { enabled = false } } },
--   })
--
-- Attaches to buffers of the configured filetypes (yaml, helm) whose text looks
-- like a Kubernetes manifest: a top-level `apiVersion:` line and a `kind:` line,
-- on open or, for a new buffer, as soon as those lines are typed (saved or not);
-- and to every file of a Helm chart (a Chart.yaml above it: templates, helpers,
-- values.yaml, Chart.yaml), which the server renders and checks as a whole.
-- Neovim 0.8+ starts clients with vim.lsp.start (which reuses one client per
-- root directory); 0.7 falls back to vim.lsp.start_client + buf_attach_client.

local M = {}

local defaults = {
  name = 'kube_policy_ls',
  cmd = { 'kube-policy-ls', 'serve' },
  filetypes = { 'yaml', 'helm' },
  -- The nearest directory above the file that holds one of these is the root.
  root_markers = { '.kube-policy.yaml', '.git' },
  -- The `kubePolicy` settings section (the keys of .kube-policy.yaml, see
  -- editors/README.md): profile, kubernetesVersion, rules, defaults, policies,
  -- podSpecPaths, exclude, debounceMs.
  settings = {},
  -- How many lines are scanned for the apiVersion:/kind: lines.
  detect_lines = 500,
  -- vim.diagnostic.config for this server's diagnostics only (its namespace).
  -- severity_sort: on a line with an error and a notice, the sign and virtual
  -- text show the error (Neovim shows the last one set otherwise). false: none.
  diagnostics = { severity_sort = true },
  -- Buffer-local mappings set on attach, each only when the user has no mapping
  -- for that key already (global or buffer-local); false skips one, or all.
  keymaps = { hover = 'K', code_action = 'gra' },
  -- Passed through to the client config.
  on_attach = nil,
  capabilities = nil,
  handlers = nil,
  flags = nil,
  cmd_env = nil,
}

local config = vim.deepcopy(defaults)
-- Neovim 0.7: one client id per root directory.
local clients_by_root = {}
local warned = {}

-- Client methods are called with `:` from 0.11 on and with `.` before.
local method_style = vim.fn.has('nvim-0.11') == 1
local function call(client, method, ...)
  if method_style then
    return client[method](client, ...)
  end
  return client[method](...)
end

local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients

local keymap_actions = {
  hover = function() vim.lsp.buf.hover() end,
  code_action = function() vim.lsp.buf.code_action() end,
}

-- Maps each configured key to its action in the buffer, unless the user (or a
-- plugin) mapped it already: Neovim 0.7 maps K to :Man, not hover.
local function set_keymaps(bufnr)
  if not config.keymaps then
    return
  end
  for action, lhs in pairs(config.keymaps) do
    if lhs and keymap_actions[action] and vim.fn.mapcheck(lhs, 'n') == '' then
      vim.keymap.set('n', lhs, keymap_actions[action],
        { buffer = bufnr, desc = 'kube-policy-ls: ' .. action:gsub('_', ' ') })
    end
  end
end

local function notify(msg, level)
  vim.schedule(function()
    vim.notify('kube-policy-ls: ' .. msg, level or vim.log.levels.ERROR)
  end)
end

--- True when the buffer looks like a Kubernetes manifest: an `apiVersion:` and
--- a `kind:` key at the start of a line (a YAML document, a `- ` list item or a
--- JSON object).
function M.looks_like_manifest(bufnr)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, config.detect_lines, false)
  local api, kind = false, false
  for _, line in ipairs(lines) do
    if not api and (line:match('^%s*%-?%s*apiVersion%s*:') or line:match('^%s*"apiVersion"%s*:')) then
      api = true
    elseif not kind and (line:match('^%s*%-?%s*kind%s*:') or line:match('^%s*"kind"%s*:')) then
      kind = true
    end
    if api and kind then
      return true
    end
  end
  return false
end

-- Whether dir is root or below it.
local function within(dir, root)
  return dir == root or vim.startswith(dir, root:gsub('/$', '') .. '/')
end

-- dir and each directory above it, nearest first.
local function ancestors(dir)
  local out = {}
  local cur = dir
  while cur and cur ~= '' do
    table.insert(out, cur)
    local parent = vim.fn.fnamemodify(cur, ':h')
    if parent == cur then
      break
    end
    cur = parent
  end
  return out
end

-- The outermost directory at or above dir that holds a Chart.yaml (a subchart
-- belongs to its parent), or nil.
local function chart_root(dir)
  local found
  for _, d in ipairs(ancestors(dir)) do
    if vim.loop.fs_stat(d .. '/Chart.yaml') then
      found = d
    end
  end
  return found
end

local function find_root(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= '' and vim.fn.fnamemodify(name, ':p:h') or vim.loop.cwd()
  for _, d in ipairs(ancestors(dir)) do
    for _, marker in ipairs(config.root_markers) do
      if vim.loop.fs_stat(d .. '/' .. marker) then
        return d
      end
    end
  end
  -- No marker. Files that are checked together must share one server: two
  -- servers would each render a chart from their own buffers and publish
  -- diagnostics for the same files that contradict each other. So a chart's
  -- files take the outermost chart's directory, and a file under the root of a
  -- running client joins that client (its workspace folder covers the file).
  local root = chart_root(dir) or dir
  local best
  for _, client in ipairs(M.clients()) do
    local r = client.config and client.config.root_dir
    if r and not call(client, 'is_stopped') and within(root, r) and (best == nil or #r > #best) then
      best = r
    end
  end
  return best or root
end

local function executable_or_warn(cmd)
  local exe = cmd[1]
  if vim.fn.executable(exe) == 1 then
    return true
  end
  if not warned[exe] then
    warned[exe] = true
    local why = vim.loop.fs_stat(exe) and 'is not executable' or 'was not found'
    notify(string.format(
      "cannot start the language server: '%s' %s (set cmd in require('kube_policy_ls').setup{})", exe, why))
  end
  return false
end

local function client_config(root)
  local settings = config.settings or {}
  local user_on_init = config.on_init
  return {
    name = config.name,
    cmd = config.cmd,
    cmd_env = config.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = settings,
    -- Answers workspace/configuration requests for the `kubePolicy` section.
    settings = { kubePolicy = settings },
    capabilities = config.capabilities,
    handlers = config.handlers,
    flags = config.flags,
    on_attach = function(client, bufnr)
      set_keymaps(bufnr)
      if config.on_attach then
        config.on_attach(client, bufnr)
      end
    end,
    on_init = function(client, result)
      if config.diagnostics then
        vim.diagnostic.config(config.diagnostics, vim.lsp.diagnostic.get_namespace(client.id))
      end
      -- Push model too, for clients (0.7) that do not advertise workspace/configuration.
      call(client, 'notify', 'workspace/didChangeConfiguration', { settings = { kubePolicy = settings } })
      if user_on_init then
        user_on_init(client, result)
      end
    end,
    on_exit = function(code, signal, client_id)
      for root_dir, id in pairs(clients_by_root) do
        if id == client_id then
          clients_by_root[root_dir] = nil
        end
      end
      if config.on_exit then
        config.on_exit(code, signal, client_id)
      end
    end,
  }
end

-- Buffers of a configured filetype that are not manifests yet, watched so that
-- a new file is checked as soon as its apiVersion:/kind: lines are there,
-- typed, pasted or set by a plugin, saved or not. Lines are watched rather than
-- TextChanged events, which fire only between keys typed by a person.
local watching = {}

local function watch(bufnr)
  if watching[bufnr] then
    return
  end
  watching[bufnr] = true
  local pending = false
  vim.api.nvim_buf_attach(bufnr, false, {
    on_lines = function(_, buf, _, first, _, last_new)
      if not watching[buf] then
        return true -- attached meanwhile: stop listening
      end
      if pending then
        return
      end
      -- Only a changed line can complete the pair: a values.yaml is not
      -- rescanned on every keystroke.
      for _, line in ipairs(vim.api.nvim_buf_get_lines(buf, first, last_new, false)) do
        if line:find('apiVersion', 1, true) or line:find('kind', 1, true) then
          pending = true
          -- Starting a client is not allowed inside on_lines.
          vim.schedule(function()
            pending = false
            if watching[buf] and vim.api.nvim_buf_is_valid(buf) then
              M.attach(buf)
            end
          end)
          return
        end
      end
    end,
    on_detach = function(_, buf)
      watching[buf] = nil
    end,
  })
end

--- Whether the buffer's file is in a Helm chart: a Chart.yaml in its directory
--- or above.
function M.in_chart(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return false
  end
  return chart_root(vim.fn.fnamemodify(name, ':p:h')) ~= nil
end

--- Starts (or reuses) the client for the buffer's root and attaches it, when
--- the buffer looks like a Kubernetes manifest (else watches it until it does).
--- Returns the client id or nil.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  if not vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
    return nil
  end
  if not M.in_chart(bufnr) and not M.looks_like_manifest(bufnr) then
    watch(bufnr)
    return nil
  end
  watching[bufnr] = nil
  if not executable_or_warn(config.cmd) then
    return nil
  end
  local root = find_root(bufnr)
  if vim.lsp.start then
    return vim.lsp.start(client_config(root), { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or call(client, 'is_stopped') then
    id = vim.lsp.start_client(client_config(root))
    if not id then
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The running clients of this module (attached to `bufnr` when given).
function M.clients(bufnr)
  if bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local out = {}
  for _, client in pairs(get_clients()) do
    if client.name == config.name and (bufnr == nil or (client.attached_buffers or {})[bufnr]) then
      table.insert(out, client)
    end
  end
  return out
end

--- Stops every client and re-attaches the loaded buffers.
function M.restart()
  local buffers = {}
  for _, client in ipairs(M.clients()) do
    for bufnr in pairs(client.attached_buffers or {}) do
      buffers[bufnr] = true
    end
    call(client, 'stop')
  end
  clients_by_root = {}
  vim.defer_fn(function()
    for bufnr in pairs(buffers) do
      M.attach(bufnr)
    end
  end, 500)
end

--- Configures the client and attaches it to matching buffers, now and later.
function M.setup(opts)
  config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  -- Lists replace, they are not merged index by index.
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
    if opts and opts[key] then
      config[key] = opts[key]
    end
  end
  warned = {}

  local group = vim.api.nvim_create_augroup('kube_policy_ls', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  vim.api.nvim_create_user_command('KubePolicyRestart', M.restart, { desc = 'Restart kube-policy-ls' })

  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

return M
