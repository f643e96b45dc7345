#!/usr/bin/env bash
# Proves that the end-to-end tests catch what they must: runs them
#   - through a pass-through proxy (control: must pass),
#   - with every diagnostic range one character short (must fail),
#   - with fixes that write the wrong text, True/False for true/false (must fail),
#   - with no diagnostics on a chart's values.yaml (must fail: only the chart step sees it),
#   - and, for VS Code, with a .vsix whose server binary is missing (must fail).
# The corruption happens in lsp-mutate.js between the editor and the real
# server, so it needs no change to the server's code.
# Env: KPL_BIN (default bin/kube-policy-ls). Needs `make build vsix` and the
# e2e setup done (make e2e-setup).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$(realpath -m "${KPL_BIN:-$repo/bin/kube-policy-ls}")
node=$(command -v node)
vsce=$repo/editors/vscode/node_modules/.bin/vsce
[[ -x $bin ]] || { echo "selfcheck: no server binary at $bin (make build)" >&2; exit 1; }
[[ -x $vsce ]] || { echo "selfcheck: vsce missing (make vsix)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kpl-e2e-selfcheck.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The runs keep their scratch directories on failure; keep them in $work.
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"

wrapper() { # MODE -> path of a server "binary" that runs the proxy in MODE
  mkdir -p "$work/$1"
  printf '#!/bin/sh\nexec "%s" "%s" %s "%s" "$@"\n' "$node" "$repo/e2e/selfcheck/lsp-mutate.js" "$1" "$bin" >"$work/$1/kube-policy-ls"
  chmod 755 "$work/$1/kube-policy-ls"
  echo "$work/$1/kube-policy-ls"
}

vsix() { # NAME [SERVER] -> path of a .vsix with SERVER inside (none if omitted)
  local dir=$work/ext-$1
  mkdir -p "$dir"
  (cd "$repo/editors/vscode" && tar cf - --exclude=./node_modules --exclude=./out --exclude=./server .) | tar xf - -C "$dir"
  ln -s "$repo/editors/vscode/node_modules" "$dir/node_modules"
  if [[ -n ${2:-} ]]; then mkdir -p "$dir/server" && cp "$2" "$dir/server/kube-policy-ls"; fi
  (cd "$dir" && "$vsce" package --no-dependencies --target linux-x64 -o "$work/$1.vsix" >"$work/$1.vsce.log" 2>&1) ||
    { cat "$work/$1.vsce.log" >&2; exit 1; }
  echo "$work/$1.vsix"
}

results=()
bad=0
expect() { # WANT(pass|fail) NAME COMMAND...
  local want=$1 name=$2
  shift 2
  local start=$SECONDS
  local log=$work/${name//\//-}.log
  "$@" >"$log" 2>&1
  local rc=$? got=pass
  ((rc != 0)) && got=fail
  local mark=ok
  if [[ $got != "$want" ]]; then mark=WRONG; bad=$((bad + 1)); fi
  results+=("$(printf '%-5s %-22s expected %-4s got %-4s (%ds)' "$mark" "$name" "$want" "$got" $((SECONDS - start)))")
  echo "${results[-1]}"
  if [[ $mark == WRONG || $got == fail ]]; then
    grep -E '^FAIL' "$log" | head -n 4 | sed 's/^/      /'
  fi
}

for mode in none ranges fixtext novalues; do
  w=$(wrapper "$mode")
  want=fail
  [[ $mode == none ]] && want=pass
  expect "$want" "neovim/$mode" env KPL_BIN="$w" KPL_TIMEOUT_MS=3000 "$repo/e2e/neovim/run.sh"
  expect "$want" "vscode/$mode" env KPL_VSIX="$(vsix "$mode" "$w")" "$repo/e2e/vscode/run.sh"
done
expect fail "vscode/no-binary" env KPL_VSIX="$(vsix nobinary)" "$repo/e2e/vscode/run.sh"

echo
if ((bad > 0)); then
  echo "selfcheck: $bad outcome(s) not as expected"
  exit 1
fi
echo "selfcheck: the e2e tests pass through the proxy and catch every breakage"
