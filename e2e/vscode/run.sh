#!/usr/bin/env bash
# VS Code end-to-end test: code-server 4.100.3 (installed by setup.sh) with
# headless Chromium. Installs the packaged .vsix and a test-only extension
# (test-extension/) that drives it through the VS Code API and writes
# result.json; see test-extension/extension.js for the steps.
# Env: KPL_VSIX (default dist/kube-policy-ls-linux-x64.vsix), KPL_E2E_CACHE,
#      KPL_KEEP=1 keeps the scratch dir, KPL_E2E_TIMEOUT (seconds, default 150),
#      KPL_E2E_RECORD=1 rewrites the expected files from what happens (review the diff).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
t0=$EPOCHREALTIME
vsix=$(realpath -m "${KPL_VSIX:-$repo/dist/kube-policy-ls-linux-x64.vsix}")
cache=${KPL_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-policy-ls-e2e}
code_server=$cache/code-server-4.100.3/node_modules/.bin/code-server
vsce=$repo/editors/vscode/node_modules/.bin/vsce
limit=${KPL_E2E_TIMEOUT:-150}

die() { echo "e2e-vscode: $*" >&2; exit 1; }
[[ -f $vsix ]] || die "no $vsix (run 'make vsix')"
[[ -x $code_server ]] || die "code-server missing in $cache (run e2e/vscode/setup.sh)"
[[ -x $vsce ]] || die "vsce missing (npm ci in editors/vscode, or 'make vsix')"
command -v chromium >/dev/null || die "chromium missing (run e2e/setup-deps.sh vscode)"

elapsed() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1fs", b-a}'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kpl-e2e-vscode.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 || ${KPL_KEEP:-} == 1 ]]; then
    echo "e2e-vscode: scratch files kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

mkdir -p "$work"/{ud/User,ext,ws/.vscode,chrome,xdg/config,xdg/data,xdg/cache,xdg/state}
export XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data XDG_CACHE_HOME=$work/xdg/cache XDG_STATE_HOME=$work/xdg/state
cp "$repo/e2e/fixtures/deploy.yaml" "$work/ws/deploy.yaml"
cp -R "$repo/e2e/fixtures/chart" "$work/ws/chart"
cp -R "$repo/e2e/fixtures/overlay" "$work/ws/overlay"
cat >"$work/ws/.vscode/settings.json" <<'JSON'
{
  "kubePolicy.debounceMs": 0,
  "kubePolicy.rules": { "run-as-high-uid": { "enabled": false } },
  "kubePolicy.trace.server": "messages"
}
JSON
cat >"$work/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "files.autoSave": "off",
  "files.insertFinalNewline": false,
  "files.trimTrailingWhitespace": false,
  "editor.formatOnSave": false,
  "git.enabled": false
}
JSON
cat >"$work/e2e.json" <<JSON
{"e2eDir": "$repo/e2e", "result": "$work/result.json", "log": "$work/progress.log", "timeoutMs": 10000,
 "record": $([[ ${KPL_E2E_RECORD:-} == 1 ]] && echo true || echo false)}
JSON

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cs_flags=(--auth none --bind-addr "127.0.0.1:$port" --user-data-dir "$work/ud" --extensions-dir "$work/ext"
  --config "$work/code-server.yaml" --disable-telemetry --disable-update-check --disable-workspace-trust)

# The test driver is packaged like any extension (no dependencies, no build).
(cd "$repo/e2e/vscode/test-extension" &&
  "$vsce" package --no-dependencies --allow-missing-repository --skip-license -o "$work/driver.vsix" >"$work/vsce.log" 2>&1) ||
  { cat "$work/vsce.log" >&2; die "packaging the test extension failed"; }
"$code_server" "${cs_flags[@]}" --install-extension "$vsix" --install-extension "$work/driver.vsix" \
  >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; die "installing the extensions failed"; }
echo "e2e-vscode: extensions installed ($(elapsed))"

KPL_E2E_CONFIG=$work/e2e.json setsid "$code_server" "${cs_flags[@]}" >"$work/code-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -q 'HTTP server listening' "$work/code-server.log" && break
  sleep 0.1
done
grep -q 'HTTP server listening' "$work/code-server.log" || { cat "$work/code-server.log" >&2; die "code-server did not start"; }

setsid chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$work/chrome" \
  --disable-background-networking --disable-component-update --disable-sync --no-first-run \
  --disable-background-timer-throttling --disable-renderer-backgrounding --disable-backgrounding-occluded-windows \
  "http://127.0.0.1:$port/?folder=$work/ws" >"$work/chromium.log" 2>&1 &
pids+=($!)
echo "e2e-vscode: code-server on port $port, workbench loading ($(elapsed))"

# Stream the driver's checks until it writes its result.
shown=0
deadline=$((SECONDS + limit))
while [[ ! -f $work/result.json ]]; do
  if ((SECONDS > deadline)); then
    echo "e2e-vscode: no result after ${limit}s" >&2
    break
  fi
  if [[ -f $work/progress.log ]]; then
    n=$(wc -l <"$work/progress.log")
    if ((n > shown)); then sed -n "$((shown + 1)),${n}p" "$work/progress.log"; shown=$n; fi
  fi
  sleep 0.2
done
[[ -f $work/progress.log ]] && sed -n "$((shown + 1)),\$p" "$work/progress.log"

rc=1
if [[ -f $work/result.json ]] && node -e 'process.exit(require(process.argv[1]).passed ? 0 : 1)' "$work/result.json"; then
  rc=0
fi
# Independent of the driver: the saved file must equal the expected one.
if ! diff -u "$repo/e2e/vscode/expected/deploy.yaml" "$work/ws/deploy.yaml" >"$work/deploy.diff"; then
  echo "FAIL saved file differs from e2e/vscode/expected/deploy.yaml:"
  cat "$work/deploy.diff"
  rc=1
fi

if [[ $rc -ne 0 ]]; then
  out=$(find "$work/ud/logs" -name '*Kube Policy*' 2>/dev/null | head -n 1)
  if [[ -n $out ]]; then echo "--- Kube Policy output (tail): $out" >&2; tail -n 40 "$out" >&2; fi
  echo "--- code-server log (tail)" >&2
  tail -n 20 "$work/code-server.log" >&2
fi
echo "e2e-vscode: $([[ $rc -eq 0 ]] && echo passed || echo FAILED) in $(elapsed)"
exit $rc
