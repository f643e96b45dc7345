// Test-only extension: drives the real kube-policy-ls extension (installed
// from the .vsix) through the public VS Code API, the way a user would, and
// writes every check to a log and a result file that e2e/vscode/run.sh reads.
'use strict';

const vscode = require('vscode');
const fs = require('fs');
const path = require('path');

const EXTENSION_ID = 'kube-policy-ls.kube-policy-ls';

exports.activate = function activate() {
  const configPath = process.env.KPL_E2E_CONFIG;
  if (!configPath) return;
  const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const t = new Tester(cfg);
  // Not awaited: activation must return for the workbench to go on.
  t.run().then(
    () => t.finish(),
    (err) => {
      if (!(err instanceof Stop)) t.check(false, 'driver error', err && err.stack ? err.stack : String(err));
      t.finish();
    },
  );
};

class Tester {
  constructor(cfg) {
    this.cfg = cfg;
    this.checks = [];
    this.failed = 0;
    this.timeout = cfg.timeoutMs || 10000;
    // Record mode (KPL_E2E_RECORD=1 in run.sh) rewrites the expected files from what happens.
    this.record = !!cfg.record;
    this.changes = 0;
    this.lastChange = 0;
    this.stepStart = 0;
    vscode.languages.onDidChangeDiagnostics(() => { this.changes++; this.lastChange = Date.now(); });
    fs.writeFileSync(cfg.log, '');
  }

  log(line) {
    fs.appendFileSync(this.cfg.log, line + '\n');
  }

  check(ok, name, detail) {
    this.checks.push({ ok: !!ok, name, detail });
    if (!ok) this.failed++;
    this.log((ok ? 'ok   ' : 'FAIL ') + name + (!ok && detail ? '\n' + detail : ''));
    return !!ok;
  }

  /** Checks a condition and stops the run if it does not hold. */
  require(ok, name, detail) {
    if (!this.check(ok, name, detail)) throw new Stop(name);
  }

  finish() {
    fs.writeFileSync(this.cfg.result, JSON.stringify({ passed: this.failed === 0, failed: this.failed, checks: this.checks }, null, 2));
  }

  expected(rel) {
    return JSON.parse(fs.readFileSync(path.join(this.cfg.e2eDir, rel), 'utf8'));
  }

  async waitFor(pred, timeoutMs = this.timeout, intervalMs = 25) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await pred();
      if (v) return v;
      if (Date.now() > end) return undefined;
      await sleep(intervalMs);
    }
  }

  /** The server's diagnostics of the document, in the expected-file shape, sorted. */
  diagnostics(doc) {
    return vscode.languages.getDiagnostics(doc.uri)
      .filter((d) => d.source === 'kube-policy-ls')
      .map((d) => ({
        code: typeof d.code === 'object' && d.code !== null ? d.code.value : d.code,
        severity: d.severity + 1, // vscode.DiagnosticSeverity.Error is 0, LSP's is 1
        range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
        text: d.range.isSingleLine ? doc.getText(d.range) : '?',
      }))
      .sort(compareDiag);
  }

  async expectDiagnostics(name, doc, rel) {
    if (this.record) {
      await this.waitFor(() => this.changes > this.stepStart && Date.now() - this.lastChange > 400);
      this.stepStart = this.changes;
      const rows = this.diagnostics(doc).map((d) =>
        `  {"code": ${JSON.stringify(d.code)}, "severity": ${d.severity}, "range": [${d.range.join(', ')}], "text": ${JSON.stringify(d.text)}}`);
      fs.writeFileSync(path.join(this.cfg.e2eDir, rel), rows.length ? `[\n${rows.join(',\n')}\n]\n` : '[]\n');
      return this.check(true, `${name} (recorded ${rel})`);
    }
    this.stepStart = this.changes;
    const want = this.expected(rel);
    let got;
    const ok = await this.waitFor(() => {
      got = this.diagnostics(doc);
      return JSON.stringify(got) === JSON.stringify(want);
    });
    return this.check(ok, name, `want:\n${show(want)}\ngot:\n${show(got)}`);
  }

  vscodeDiagnostic(doc, code, line) {
    const d = vscode.languages.getDiagnostics(doc.uri).find((x) =>
      x.source === 'kube-policy-ls' && (x.code && x.code.value !== undefined ? x.code.value : x.code) === code && x.range.start.line === line);
    if (!d) throw new Error(`no ${code} diagnostic on line ${line}`);
    return d;
  }

  async codeActions(doc, range, kind) {
    // The 4th argument makes VS Code resolve lazily resolved actions.
    return (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, range, kind, 10)) || [];
  }

  async apply(action) {
    if (action.edit) {
      this.require(await vscode.workspace.applyEdit(action.edit), `workspace.applyEdit accepted "${action.title}"`);
    }
    if (action.command) {
      await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments || []));
    }
  }

  async run() {
    const ws = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
    this.require(ws, 'a workspace folder is open');
    const file = vscode.Uri.joinPath(ws.uri, 'deploy.yaml');

    // 1. The extension is installed from the .vsix and activates on a YAML file.
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    this.require(ext, `extension ${EXTENSION_ID} is installed`);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    this.check(doc.languageId === 'yaml', `languageId is yaml (got ${doc.languageId})`);
    this.require(await this.waitFor(() => ext.isActive), 'extension activates on a YAML file');
    const api = ext.exports;
    await api.ready();
    this.require(api.lastError === undefined && api.client && api.client.isRunning(),
      'language client is running', `lastError: ${api.lastError}`);
    this.check(api.serverPath === path.join(ext.extensionPath, 'server', 'kube-policy-ls'),
      'the bundled server binary is used', `serverPath: ${api.serverPath}`);

    // 2. Diagnostics: rule ids, severities, ranges and the text they cover.
    if (!await this.expectDiagnostics('initial diagnostics', doc, 'expected/initial.json')) throw new Stop('initial diagnostics');

    // 3. Hover on a flagged range shows the rule's documentation; elsewhere nothing.
    const hoverSpec = this.expected('vscode/expected/hover.json');
    const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri,
      new vscode.Position(hoverSpec.position[0], hoverSpec.position[1]))) || [];
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    const missing = hoverSpec.contains.filter((s) => !hoverText.includes(s));
    this.check(missing.length === 0, 'hover shows the rule documentation',
      `missing: ${JSON.stringify(missing)}\nhover:\n${hoverText}`);
    const quiet = (await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri,
      new vscode.Position(hoverSpec.quietPosition[0], hoverSpec.quietPosition[1]))) || [];
    const quietText = quiet.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    this.check(quietText === '', 'no hover on a line without a finding', quietText);
    // 3b. A crowded spot (two rules on one range): one line per finding, each rule linked
    //     once, and no full rule documentation (neither rule is narrower than the other).
    const crowd = hoverSpec.crowded;
    const crowdHovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri,
      new vscode.Position(crowd.position[0], crowd.position[1]))) || [];
    const crowdText = crowdHovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    const crowdLines = crowdText.split('\n').filter((l) => l.startsWith('- '));
    this.check(crowdLines.length === crowd.rules.length &&
      crowd.rules.every((r) => crowdLines.filter((l) => l.includes('[`' + r + '`](') && l.includes('docs/rules.md#' + r + ')')).length === 1) &&
      !crowdText.includes('What passes'),
    'crowded hover: one line per finding with its rule linked, no full docs', crowdText);

    // 4. "Restart Server" gives a new client that publishes the same diagnostics.
    const before = api.client;
    await vscode.commands.executeCommand('kubePolicy.restartServer');
    await api.ready();
    this.check(api.client && api.client !== before && api.client.isRunning(), 'Restart Server starts a new client');
    await this.expectDiagnostics('diagnostics after restart', doc, 'expected/initial.json');

    // 4b. Settings changes apply without a restart: pss-baseline drops the default-only rules.
    const settings = vscode.workspace.getConfiguration('kubePolicy');
    await settings.update('profile', 'pss-baseline', vscode.ConfigurationTarget.Workspace);
    await this.expectDiagnostics('diagnostics with kubePolicy.profile = pss-baseline', doc, 'vscode/expected/pss-baseline.json');
    await settings.update('profile', undefined, vscode.ConfigurationTarget.Workspace);
    await this.expectDiagnostics('diagnostics with kubePolicy.profile unset again', doc, 'expected/initial.json');
    await vscode.commands.executeCommand('kubePolicy.showOutput');
    this.check(true, 'Show Output command runs');

    // 5. The preferred quick fix for the privileged container "web".
    const priv = this.vscodeDiagnostic(doc, 'privileged-container', 36);
    const actions = await this.codeActions(doc, priv.range, 'quickfix');
    const fix = actions.find((a) => a.isPreferred && a.kind && a.kind.value === 'quickfix');
    this.require(fix, 'a preferred quick fix is offered for privileged-container', titles(actions));
    this.check(/privileged/.test(fix.title) && /"web"/.test(fix.title), `quick fix title names field and container: ${fix.title}`);
    await this.apply(fix);
    this.check(doc.lineAt(36).text === '            privileged: false', 'quick fix wrote privileged: false', doc.lineAt(36).text);
    await this.expectDiagnostics('diagnostics after the quick fix', doc, 'vscode/expected/after-quickfix.json');

    // 6. "Fix all read-only-root-filesystem problems in this file".
    const initial = this.expected('expected/initial.json');
    const roLine = initial.find((d) => d.code === 'read-only-root-filesystem').range[0];
    const ro = this.vscodeDiagnostic(doc, 'read-only-root-filesystem', roLine);
    const roActions = await this.codeActions(doc, ro.range, 'quickfix');
    const fixAll = roActions.find((a) => /^Fix all/.test(a.title) && /read-only-root-filesystem/.test(a.title));
    this.require(fixAll, 'a "Fix all read-only-root-filesystem" action is offered', titles(roActions));
    this.check(roActions.some((a) => a.title.startsWith('Fix all kube-policy-ls problems in this file') && a.kind && a.kind.value === 'quickfix'),
      'the file\'s fix-all is in the quick fix (Ctrl+.) menu', titles(roActions));
    await this.apply(fixAll);
    await this.expectDiagnostics('diagnostics after fix-all for one rule', doc, 'vscode/expected/after-fixall-rule.json');

    // 7. source.fixAll.kube-policy-ls fixes everything fixable.
    const whole = new vscode.Range(0, 0, doc.lineCount, 0);
    const sourceActions = await this.codeActions(doc, whole, 'source.fixAll.kube-policy-ls');
    this.require(sourceActions.length === 1 && sourceActions[0].kind && sourceActions[0].kind.value === 'source.fixAll.kube-policy-ls',
      'one source.fixAll.kube-policy-ls action', titles(sourceActions));
    await this.apply(sourceActions[0]);
    await this.expectDiagnostics('diagnostics after source.fixAll', doc, 'vscode/expected/final.json');

    // 8. Save and compare the file on disk.
    this.require(await doc.save(), 'document saved');
    const disk = fs.readFileSync(file.fsPath, 'utf8');
    if (this.record) fs.writeFileSync(path.join(this.cfg.e2eDir, 'vscode/expected/deploy.yaml'), disk);
    const want = fs.readFileSync(path.join(this.cfg.e2eDir, 'vscode/expected/deploy.yaml'), 'utf8');
    this.check(disk === want, 'file on disk equals e2e/vscode/expected/deploy.yaml', unifiedHint(want, disk));

    // 9. Typing a new problem makes it appear (incremental sync), then revert.
    const editor = await vscode.window.showTextDocument(doc);
    const hn = doc.getText().split('\n').findIndex((l) => /^\s*securityContext:/.test(l));
    await editor.edit((b) => b.insert(new vscode.Position(hn, 0), '      hostPID: true\n'));
    const typed = await this.waitFor(() => this.diagnostics(doc).find((d) => d.code === 'host-pid'));
    this.check(typed && JSON.stringify(typed.range) === JSON.stringify([hn, 6, hn, 19]) && typed.text === 'hostPID: true',
      'a typed hostPID: true is flagged at its range', JSON.stringify(typed));
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await this.expectDiagnostics('diagnostics after revert', doc, 'vscode/expected/final.json');

    // 10. A Helm chart (e2e/fixtures/chart): the template open, values.yaml's finding shown
    //     before it is opened; then both open, the
    //     finding on the template line and on the values key; the values quick fix, applied
    //     unsaved, clears it in both after the re-render (the template keeps its other one).
    await this.chart(ws);

    // 10a. A Kustomize overlay (e2e/fixtures/overlay): its strategic-merge patch open alone,
    //      the finding the overlay builds on the patch line, its message naming the overlay;
    //      the fix in the patch, applied unsaved, clears it after the build from the buffer.
    await this.overlay(ws);

    // 11. A missing or non-executable serverPath gives a clear error naming the path.
    const cfg = vscode.workspace.getConfiguration('kubePolicy');
    const bogus = '/nonexistent/kube-policy-ls';
    await cfg.update('serverPath', bogus, vscode.ConfigurationTarget.Workspace);
    const err1 = await this.waitFor(() => api.lastError);
    this.check(err1 && err1.includes(bogus) && err1.includes('does not exist') && err1.includes('kubePolicy.serverPath'),
      'missing serverPath: error names the path', String(err1));
    const plain = path.join(ws.uri.fsPath, 'not-executable');
    fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    await cfg.update('serverPath', plain, vscode.ConfigurationTarget.Workspace);
    const err2 = await this.waitFor(() => api.lastError && api.lastError.includes(plain) && api.lastError);
    this.check(err2 && err2.includes('is not executable'), 'non-executable serverPath: error names the path', String(err2 || api.lastError));
    // 10b. A bare name is looked up on PATH only, and the error says so.
    const bare = 'kube-policy-ls-not-on-path';
    await cfg.update('serverPath', bare, vscode.ConfigurationTarget.Workspace);
    const err3 = await this.waitFor(() => api.lastError && api.lastError.includes(bare) && api.lastError);
    this.check(err3 && err3.includes(`"${bare}"`) && err3.includes('not found on PATH') && !err3.includes(ws.uri.fsPath),
      'bare serverPath not on PATH: the error names what was written and PATH', String(err3 || api.lastError));
    this.check(api.errorShown, 'the error notification is open while the server is down');
    await cfg.update('serverPath', undefined, vscode.ConfigurationTarget.Workspace);
    const back = await this.waitFor(() => api.lastError === undefined && api.client && api.client.isRunning());
    this.check(back, 'clearing serverPath starts the bundled server again', String(api.lastError));
    this.check(!api.errorShown, 'the error notification closes when the server runs again');
  }

  async chart(ws) {
    const tpl = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(ws.uri, 'chart', 'templates', 'deployment.yaml'));
    await vscode.window.showTextDocument(tpl, { preview: false });
    // values.yaml is not open yet: VS Code pulls diagnostics, so its finding comes from the
    // server's workspace/diagnostic report.
    const valuesUri = vscode.Uri.joinPath(ws.uri, 'chart', 'values.yaml');
    const privileged = (d) => d.source === 'kube-policy-ls' && (d.code && d.code.value !== undefined ? d.code.value : d.code) === 'privileged-container';
    const early = await this.waitFor(() => vscode.languages.getDiagnostics(valuesUri).some(privileged));
    this.check(early, 'chart: values.yaml, not open, shows its finding (workspace/diagnostic)',
      JSON.stringify(vscode.languages.getDiagnostics(valuesUri)));
    const values = await vscode.workspace.openTextDocument(valuesUri);
    await vscode.window.showTextDocument(values, { preview: false });
    this.stepStart = this.changes;
    let ok = await this.expectDiagnostics('chart: template diagnostics', tpl, 'expected/chart-template.json');
    ok = await this.expectDiagnostics('chart: values.yaml diagnostics', values, 'expected/chart-values.json') && ok;
    if (!ok) return;
    const vd = vscode.languages.getDiagnostics(values.uri).find(privileged);
    const actions = await this.codeActions(values, vd.range, 'quickfix');
    const fix = actions.find((a) => a.title.startsWith('Fix privileged-container in values.yaml'));
    if (!this.check(fix, 'chart: the values quick fix is offered on values.yaml', titles(actions))) return;
    await this.apply(fix);
    const line = values.lineAt(vd.range.start.line).text;
    this.check(line === '  privileged: false', 'chart: the values fix wrote privileged: false', line);
    this.stepStart = this.changes;
    await this.expectDiagnostics('chart: template diagnostics after the values fix (unsaved)', tpl, 'expected/chart-template-fixed.json');
    await this.expectDiagnostics('chart: values.yaml diagnostics after the values fix (unsaved)', values, 'expected/chart-values-fixed.json');
    this.check(values.isDirty, 'chart: values.yaml is still unsaved (the render used the buffer)');
  }

  async overlay(ws) {
    const patch = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(ws.uri, 'overlay', 'prod', 'privileged.yaml'));
    await vscode.window.showTextDocument(patch, { preview: false });
    this.stepStart = this.changes;
    if (!await this.expectDiagnostics('overlay: patch diagnostics', patch, 'expected/overlay-patch.json')) return;
    const pd = vscode.languages.getDiagnostics(patch.uri).find((d) => d.source === 'kube-policy-ls' &&
      (d.code && d.code.value !== undefined ? d.code.value : d.code) === 'privileged-container');
    this.check(pd.message.endsWith(' (in overlay overlay/prod/)'), 'overlay: the message names the overlay', pd.message);
    const actions = await this.codeActions(patch, pd.range, 'quickfix');
    const fix = actions.find((a) => a.title.startsWith('Fix privileged-container in privileged.yaml'));
    if (!this.check(fix, 'overlay: the fix in the patch is offered', titles(actions))) return;
    await this.apply(fix);
    const line = patch.lineAt(pd.range.start.line).text;
    this.check(line === '            privileged: false', 'overlay: the fix wrote privileged: false in the patch', line);
    this.stepStart = this.changes;
    await this.expectDiagnostics('overlay: patch diagnostics after the fix (unsaved)', patch, 'expected/overlay-patch-fixed.json');
    this.check(patch.isDirty, 'overlay: the patch is still unsaved (the build used the buffer)');
  }
}

class Stop extends Error {}

function compareDiag(a, b) {
  for (let i = 0; i < 4; i++) if (a.range[i] !== b.range[i]) return a.range[i] - b.range[i];
  return String(a.code) < String(b.code) ? -1 : String(a.code) > String(b.code) ? 1 : 0;
}

function show(list) {
  return (list || []).map((d) => `  ${String(d.code).padEnd(28)} sev=${d.severity} [${d.range.join(',')}] ${JSON.stringify(d.text)}`).join('\n');
}

function titles(actions) {
  return 'actions:\n' + actions.map((a) => `  ${JSON.stringify(a.title)} kind=${a.kind && a.kind.value} preferred=${a.isPreferred}`).join('\n');
}

function unifiedHint(want, got) {
  const w = want.split('\n');
  const g = got.split('\n');
  for (let i = 0; i < Math.max(w.length, g.length); i++) {
    if (w[i] !== g[i]) return `first difference at line ${i + 1}:\n  want ${JSON.stringify(w[i])}\n  got  ${JSON.stringify(g[i])}`;
  }
  return '';
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
