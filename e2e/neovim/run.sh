#!/usr/bin/env bash
# Neovim end-to-end test: Debian's headless nvim, the plugin in
# editors/neovim, and the real server binary. See driver.lua for the steps.
# Env: KPL_BIN (default bin/kube-policy-ls), KPL_KEEP=1 keeps the scratch dir.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${KPL_BIN:-$repo/bin/kube-policy-ls}
bin=$(realpath -m "$bin")
if [[ ! -x $bin ]]; then
  echo "e2e-neovim: no server binary at $bin (run 'make build')" >&2
  exit 1
fi
command -v nvim >/dev/null || "$repo/e2e/setup-deps.sh" neovim

work=$(mktemp -d "${TMPDIR:-/tmp}/kpl-e2e-nvim.XXXXXX")
cleanup() {
  local rc=$?
  if [[ $rc -ne 0 || ${KPL_KEEP:-} == 1 ]]; then
    echo "e2e-neovim: scratch files kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

cp "$repo/e2e/fixtures/deploy.yaml" "$work/deploy.yaml"
printf '# Helm-style values: YAML, but not a Kubernetes manifest.\nreplicaCount: 2\nimage:\n  repository: nginx\n' >"$work/values.yaml"
# A Helm chart: the template writes privileged and runAsUser from values.yaml.
cp -R "$repo/e2e/fixtures/chart" "$work/chart"
# A Kustomize overlay: prod's patch makes the base Deployment's container privileged.
cp -R "$repo/e2e/fixtures/overlay" "$work/overlay"
mkdir -p "$work/xdg/config" "$work/xdg/data" "$work/xdg/state" "$work/xdg/cache"

start=$EPOCHREALTIME
set +e
XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data XDG_STATE_HOME=$work/xdg/state \
  XDG_CACHE_HOME=$work/xdg/cache KPL_REPO=$repo KPL_BIN=$bin KPL_WORK=$work \
  timeout 60 nvim --headless -n -i NONE --clean -c "luafile $repo/e2e/neovim/driver.lua" \
  2>"$work/nvim.stderr"
rc=$?
set -e
end=$EPOCHREALTIME
printf 'e2e-neovim: %s in %.1fs\n' "$([[ $rc -eq 0 ]] && echo passed || echo "FAILED (exit $rc)")" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')"
if [[ $rc -ne 0 ]]; then
  [[ $rc -eq 124 ]] && echo "e2e-neovim: nvim timed out after 60s" >&2
  if [[ -s $work/nvim.stderr ]]; then
    echo "--- nvim stderr (tail)" >&2
    tail -n 30 "$work/nvim.stderr" >&2
    echo >&2
  fi
  if [[ -s $work/server.log ]]; then
    echo "--- server log (tail)" >&2
    tail -n 30 "$work/server.log" >&2
  fi
fi
exit $rc
