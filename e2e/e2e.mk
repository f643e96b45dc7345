# End-to-end tests in real editors. Included by the top-level Makefile; paths
# are relative to the repository root. `build` (bin/kube-policy-ls) is defined
# there, `vsix` in editors/editors.mk.
#
# The setup installs pinned Debian packages (e2e/setup-deps.sh) and code-server
# from a committed lockfile into $(KPL_E2E_CACHE); warm runs touch no network.

KPL_E2E_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kube-policy-ls-e2e
export KPL_E2E_CACHE

.PHONY: e2e e2e-neovim e2e-vscode e2e-setup e2e-selfcheck

e2e: e2e-neovim e2e-vscode

e2e-setup:
	e2e/setup-deps.sh all
	e2e/vscode/setup.sh

e2e-neovim: build
	e2e/setup-deps.sh neovim
	e2e/neovim/run.sh

e2e-vscode: vsix
	e2e/setup-deps.sh vscode
	e2e/vscode/setup.sh
	e2e/vscode/run.sh

# Proves the e2e tests fail when the server publishes wrong ranges, when a fix
# writes the wrong text, when a chart's values.yaml gets no diagnostics, and
# when the extension has no server (about 5 min on 2 cores).
e2e-selfcheck: build vsix
	e2e/setup-deps.sh all
	e2e/vscode/setup.sh
	e2e/selfcheck/selfcheck.sh
