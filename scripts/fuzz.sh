#!/usr/bin/env bash
# Runs every Go fuzz target of the module for $FUZZTIME each and prints a summary line per
# target. A crasher fails the run and is kept under the package's testdata/fuzz as a
# regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
status=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		log=$(mktemp)
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
			# a target that stops early prints no progress line: that is not a failure
			execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
			echo "fuzz ok   $pkg $target: ${execs:-?} executions in $FUZZTIME"
		else
			echo "fuzz FAIL $pkg $target"
			tail -30 "$log"
			status=1
		fi
		rm -f "$log"
	done
done
exit $status
