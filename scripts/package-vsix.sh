#!/usr/bin/env bash
# Packages the VS Code extension for one platform with BINARY as its bundled server:
#   scripts/package-vsix.sh BINARY VSCE_TARGET OUT.vsix
# VSCE_TARGET is one of linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64, win32-arm64.
# `make vsix` and `make dist` use it, so every .vsix is checked the same way:
#   - BINARY must be a Go binary for that platform (`go version -m`), so a .vsix can never carry
#     another platform's server (VS Code would install it and the server would not start);
#   - the server goes where the extension looks for it (bundledServerPath in
#     editors/vscode/src/settings.ts): server/kube-policy-ls, server/kube-policy-ls.exe on Windows;
#   - the packaged .vsix must hold exactly that one server file.
# The extension is staged in a temporary copy, so editors/vscode never holds a server binary that
# a later package of another platform could pick up, and two packagings cannot race.
# Needs editors/vscode/node_modules (npm ci; `make vsix` and `make dist` run it).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BINARY VSCE_TARGET OUT.vsix" >&2; exit 2; }
bin=$1 target=$2 out=$3
repo=$(cd "$(dirname "$0")/.." && pwd)
ext=$repo/editors/vscode
die() { echo "package-vsix: $*" >&2; exit 1; }

case $target in
linux-x64) goos=linux goarch=amd64 ;;
linux-arm64) goos=linux goarch=arm64 ;;
darwin-x64) goos=darwin goarch=amd64 ;;
darwin-arm64) goos=darwin goarch=arm64 ;;
win32-x64) goos=windows goarch=amd64 ;;
win32-arm64) goos=windows goarch=arm64 ;;
*) die "unknown target $target" ;;
esac
server=kube-policy-ls
[ "$goos" = windows ] && server=kube-policy-ls.exe

[ -f "$bin" ] || die "no $bin"
info=$(${GO:-go} version -m "$bin") || die "$bin is not a Go binary"
grep -q "^[[:space:]]*build[[:space:]]*GOOS=$goos\$" <<<"$info" &&
	grep -q "^[[:space:]]*build[[:space:]]*GOARCH=$goarch\$" <<<"$info" ||
	die "$bin is not a $goos/$goarch binary; the $target .vsix needs one"
[ -x "$ext/node_modules/.bin/vsce" ] || die "vsce missing: run npm ci in editors/vscode (make vsix does)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
(cd "$ext" && tar cf - --exclude=./node_modules --exclude=./out --exclude=./server .) | tar xf - -C "$stage"
ln -s "$ext/node_modules" "$stage/node_modules"
mkdir "$stage/server"
cp "$bin" "$stage/server/$server"
chmod 755 "$stage/server/$server"

mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
# vscode:prepublish type-checks and bundles the extension into the stage's out/.
(cd "$stage" && node_modules/.bin/vsce package --no-dependencies --target "$target" -o "$out")

servers=$(unzip -Z1 "$out" | grep '^extension/server/' || true)
[ "$servers" = "extension/server/$server" ] ||
	die "$out should hold extension/server/$server and nothing else under server/, holds: ${servers:-nothing}"
