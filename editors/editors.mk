# Editor clients. Included by the top-level Makefile; paths are relative to
# the repository root. `build` (bin/kube-policy-ls) is defined there.

VSCODE_DIR := editors/vscode
VSIX := dist/kube-policy-ls-linux-x64.vsix
VSCODE_DEPS := $(VSCODE_DIR)/node_modules/.package-lock.json

.PHONY: vsix vscode-test

# The .vsix with the linux-x64 server inside. Needs the npm registry (or a
# warm npm cache) only the first time, for `npm ci`.
vsix: build $(VSCODE_DEPS)
	@go version -m bin/kube-policy-ls | grep -q 'GOOS=linux' && go version -m bin/kube-policy-ls | grep -q 'GOARCH=amd64' \
	  || { echo "vsix: bin/kube-policy-ls is not a linux/amd64 binary; the .vsix is for linux-x64" >&2; exit 1; }
	mkdir -p $(VSCODE_DIR)/server dist
	cp bin/kube-policy-ls $(VSCODE_DIR)/server/kube-policy-ls
	chmod 755 $(VSCODE_DIR)/server/kube-policy-ls
	cd $(VSCODE_DIR) && npx --no-install vsce package --no-dependencies --target linux-x64 -o ../../$(VSIX)

# Type-checks the extension and runs its unit tests (no VS Code needed).
vscode-test: $(VSCODE_DEPS)
	cd $(VSCODE_DIR) && npm run --silent typecheck && npm test --silent

$(VSCODE_DEPS): $(VSCODE_DIR)/package.json $(VSCODE_DIR)/package-lock.json
	cd $(VSCODE_DIR) && npm ci --prefer-offline --no-audit --no-fund
	@touch $@
