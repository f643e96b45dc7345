#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need, idempotently.
#
# Versions are pinned by upstream version (apt version globs); the Debian
# revision may float so that security rebuilds do not break the setup.
# Chromium cannot be pinned: Debian replaces it in bookworm and
# bookworm-security on every upstream release (148 -> 156 between two
# `apt-get update`s while this script was written), so an exact pin stops
# resolving within weeks. It floats by default; e2e/vscode/setup.sh checks a
# minimum major version, and KPL_CHROMIUM_VERSION (an apt version glob such
# as '156.*') pins it when wanted.
#
# Usage: e2e/setup-deps.sh [neovim|vscode|all]   (default: all)
set -euo pipefail

what=${1:-all}

neovim_pkgs=("neovim=0.7.2-*")
vscode_pkgs=(
  "chromium=${KPL_CHROMIUM_VERSION:-*}"
  "libkrb5-dev=1.20.1-*"
  "ripgrep=13.0.0-*"
)

case "$what" in
  neovim) want=("${neovim_pkgs[@]}") ;;
  vscode) want=("${vscode_pkgs[@]}") ;;
  all) want=("${neovim_pkgs[@]}" "${vscode_pkgs[@]}") ;;
  *) echo "usage: $0 [neovim|vscode|all]" >&2; exit 2 ;;
esac

# installed_matches NAME GLOB: true when NAME is installed at a version matching GLOB.
installed_matches() {
  local v
  v=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null) || return 1
  [[ $v == installed\ * ]] || return 1
  # shellcheck disable=SC2053 # GLOB is a pattern on purpose
  [[ ${v#installed } == $2 ]]
}

missing=()
for spec in "${want[@]}"; do
  name=${spec%%=*} glob=${spec#*=}
  if ! installed_matches "$name" "$glob"; then
    missing+=("$spec")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup-deps: all present (${want[*]})"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then sudo=() ; else sudo=(sudo) ; fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
