# Editor clients. Included by the top-level Makefile; paths are relative to
# the repository root. `build` (bin/kube-policy-ls) is defined there.

VSCODE_DIR := editors/vscode
VSIX := dist/kube-policy-ls-linux-x64.vsix
VSCODE_DEPS := $(VSCODE_DIR)/node_modules/.package-lock.json

.PHONY: vsix dist-vsix vscode-test

# The .vsix with the linux-x64 server (bin/kube-policy-ls) inside, for the e2e tests and
# the README. Needs the npm registry (or a warm npm cache) only the first time, for `npm ci`.
vsix: build $(VSCODE_DEPS)
	GO=$(GO) scripts/package-vsix.sh $(BIN) linux-x64 $(VSIX)

# `make dist`'s extensions: one .vsix per platform, each with dist/'s binary of that platform
# (DIST_PLATFORMS and DIST_BINS in the Makefile). vsce names Go's amd64 x64 and windows win32.
vsce-target = $(subst windows-,win32-,$(subst -amd64,-x64,$(1)))
DIST_VSIXES := $(foreach p,$(DIST_PLATFORMS),dist/kube-policy-ls-$(call vsce-target,$(p)).vsix)

# One packaging per line (the blank line ends each), run one after another.
define package-dist-vsix
GO=$(GO) scripts/package-vsix.sh $(filter dist/kube-policy-ls-$(1) dist/kube-policy-ls-$(1).exe,$(DIST_BINS)) $(call vsce-target,$(1)) dist/kube-policy-ls-$(call vsce-target,$(1)).vsix

endef

dist-vsix: $(DIST_BINS) $(VSCODE_DEPS)
	$(foreach p,$(DIST_PLATFORMS),$(call package-dist-vsix,$(p)))

# Type-checks the extension and runs its unit tests (no VS Code needed).
vscode-test: $(VSCODE_DEPS)
	cd $(VSCODE_DIR) && npm run --silent typecheck && npm test --silent

$(VSCODE_DEPS): $(VSCODE_DIR)/package.json $(VSCODE_DIR)/package-lock.json
	cd $(VSCODE_DIR) && npm ci --prefer-offline --no-audit --no-fund
	@touch $@
