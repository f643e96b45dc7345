#!/usr/bin/env bash
# Runs `go test "$@"` and then says which tests that need ../shared (the corpus and the PSS
# conformance fixtures, beside the repository) skipped or ran without it: package
# internal/shareddata appends them to $KPL_SKIP_LOG. Without this, such skips hide in a plain
# "ok" line and a clone without ../shared looks fully tested.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
KPL_SKIP_LOG=$log ${GO:-go} test "$@"
status=$?
skipped=$(grep -c '^skipped' "$log")
partial=$(grep -c '^ran without it' "$log")
if [ "$skipped" -eq 0 ] && [ "$partial" -eq 0 ]; then
	echo "data-dependent tests: all ran with ../shared (corpus, PSS conformance)"
else
	echo "data-dependent tests: ../shared not found beside the repository (see README, \"Tests\"):"
	echo "  $skipped skipped: $(grep '^skipped' "$log" | cut -f2 | sort -u | paste -sd, - | sed 's/,/, /g')"
	if [ "$partial" -gt 0 ]; then
		echo "  $partial ran with the repository's files only: $(grep '^ran without it' "$log" | cut -f2 | sort -u | paste -sd, - | sed 's/,/, /g')"
	fi
fi
exit $status
