#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3) for the VS Code end-to-end
# test, from the lockfile in e2e/vscode/host, into a cache directory:
#   $KPL_E2E_CACHE/code-server-4.100.3   (default ~/.cache/kube-policy-ls-e2e)
# Idempotent: does nothing when the installed copy matches the lockfile.
# Needs the npm registry on the first run only (no other network: neither
# GitHub nor VS Code's download servers); the comment above each step says why
# it is there.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
host=$repo/e2e/vscode/host
cache=${KPL_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-policy-ls-e2e}
dir=$cache/code-server-4.100.3
stamp=$dir/.lock-sha256
want=$(cat "$host/package.json" "$host/package-lock.json" | sha256sum | cut -d' ' -f1)

if [[ -x $dir/node_modules/.bin/code-server && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "e2e/vscode/setup: code-server present in $dir"
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [[ $node_major != 20 ]]; then
  echo "e2e/vscode/setup: code-server 4.100.3 needs Node 20, found $(node --version)" >&2
  exit 1
fi
for cmd in rg chromium; do
  command -v "$cmd" >/dev/null || { echo "e2e/vscode/setup: $cmd missing; run e2e/setup-deps.sh vscode" >&2; exit 1; }
done

echo "e2e/vscode/setup: installing code-server 4.100.3 into $dir (about a minute)"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/tmp/vscode-ripgrep-cache-1.15.11" "$dir.tmp/rg"
cp "$host/package.json" "$host/package-lock.json" "$dir.tmp/"
# @vscode/ripgrep's postinstall downloads from GitHub, which is not reachable:
# seed its download cache with Debian's rg.
cp "$(command -v rg)" "$dir.tmp/rg/rg"
tar -C "$dir.tmp/rg" -czf "$dir.tmp/tmp/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
(
  cd "$dir.tmp"
  # --unsafe-perm: as root, node-pty's install runs `npx node-gyp`.
  TMPDIR=$dir.tmp/tmp npm_config_yes=true npm ci --unsafe-perm --no-audit --no-fund --loglevel=error
)
rm -rf "$dir.tmp/tmp" "$dir.tmp/rg"
test -x "$dir.tmp/node_modules/.bin/code-server"
echo "$want" >"$dir.tmp/.lock-sha256"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "e2e/vscode/setup: done"
