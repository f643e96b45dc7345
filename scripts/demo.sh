#!/usr/bin/env bash
# `make demo`: one insecure manifest (examples/demo-pod.yaml), its findings as a compiler
# prints them, the fixes as a diff, the clean re-check. It works on a copy, so the example
# stays insecure for the next run. Usage: scripts/demo.sh BINARY
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$repo/examples/demo-pod.yaml" "$tmp/"
cd "$tmp"
bold='' plain=''
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }
printf 'A pod that looks hardened (examples/demo-pod.yaml), checked with the default profile:\n'
step kube-policy-ls check demo-pod.yaml
"$bin" check demo-pod.yaml 2>&1 || true # exit 1: it has findings
step kube-policy-ls check --fix --dry-run demo-pod.yaml
"$bin" check --fix --dry-run demo-pod.yaml 2>&1 || true
step kube-policy-ls check --fix demo-pod.yaml
"$bin" check --fix demo-pod.yaml 2>&1
printf '\nIn an editor these are squiggles as you type, each with its quick fix: see editors/README.md.\n'
printf 'Every rule: make rules (or kube-policy-ls rules).\n'
