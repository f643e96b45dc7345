import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  bundledServerPath,
  checkExecutable,
  missingServerMessage,
  resolveServerPath,
  serverProblem,
  serverSettings,
} from '../src/settings';

test('serverSettings sends only keys set in some scope', () => {
  const values: Record<string, unknown> = {
    profile: 'pss-restricted',
    rules: { 'cpu-limits': { enabled: false } },
    kubernetesVersion: '',
    debounceMs: undefined,
  };
  const inspections: Record<string, object> = {
    profile: { defaultValue: 'default', workspaceValue: 'pss-restricted' },
    rules: { defaultValue: {}, globalValue: { 'cpu-limits': { enabled: false } } },
    kubernetesVersion: { defaultValue: '' },
    debounceMs: {},
  };
  const got = serverSettings((k) => inspections[k], (k) => values[k]);
  assert.deepEqual(got, { profile: 'pss-restricted', rules: { 'cpu-limits': { enabled: false } } });
});

test('serverSettings returns an empty object when nothing is set', () => {
  assert.deepEqual(serverSettings(() => ({}), () => undefined), {});
  assert.deepEqual(serverSettings(() => undefined, () => 'x'), {});
});

test('resolveServerPath falls back to the bundled binary', () => {
  const bundled = bundledServerPath('/ext', 'linux');
  assert.equal(bundled, path.join('/ext', 'server', 'kube-policy-ls'));
  assert.equal(bundledServerPath('/ext', 'darwin'), path.join('/ext', 'server', 'kube-policy-ls'));
  assert.equal(bundledServerPath('/ext', 'win32'), path.join('/ext', 'server', 'kube-policy-ls.exe'));
  for (const v of [undefined, null, '', '   ']) {
    assert.deepEqual(resolveServerPath(v, bundled, '/ws'), { path: bundled, source: 'bundled' });
  }
});

test('resolveServerPath expands ~, ${workspaceFolder} and relative paths', () => {
  assert.deepEqual(resolveServerPath('~/bin/kpl', 'B', '/ws'), { path: path.join(os.homedir(), 'bin/kpl'), source: 'setting', configured: '~/bin/kpl' });
  assert.deepEqual(resolveServerPath('${workspaceFolder}/bin/kpl', 'B', '/ws'), { path: '/ws/bin/kpl', source: 'setting', configured: '${workspaceFolder}/bin/kpl' });
  assert.deepEqual(resolveServerPath('bin/kpl', 'B', '/ws'), { path: '/ws/bin/kpl', source: 'setting', configured: 'bin/kpl' });
  assert.deepEqual(resolveServerPath('/abs/kpl', 'B', '/ws'), { path: '/abs/kpl', source: 'setting', configured: '/abs/kpl' });
});

test('resolveServerPath looks bare names up on PATH', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kpl-'));
  const exe = path.join(dir, 'kpl-test-bin');
  fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
  assert.deepEqual(resolveServerPath('kpl-test-bin', 'B', '/ws', { PATH: `/nonexistent${path.delimiter}${dir}` }),
    { path: exe, source: 'setting', configured: 'kpl-test-bin', onPath: true });
  // not on PATH: not taken from the workspace folder either, and the error says PATH
  const missing = resolveServerPath('kpl-missing', 'B', '/ws', { PATH: dir });
  assert.deepEqual(missing, { path: 'kpl-missing', source: 'setting', configured: 'kpl-missing', onPath: false });
  assert.equal(serverProblem(missing), 'was not found on PATH');
  const m = missingServerMessage(missing, serverProblem(missing) ?? '');
  assert.match(m, /kubePolicy\.serverPath is "kpl-missing", which was not found on PATH/);
  assert.doesNotMatch(m, /\/ws/);
  fs.rmSync(dir, { recursive: true });
});

// scripts/package-vsix.sh puts the server at server/kube-policy-ls, or server/kube-policy-ls.exe
// in the win32 packages; .vscodeignore must let exactly the names the extension looks for into
// every package, or a platform's .vsix ships without a server it can find.
test('.vscodeignore ships the server under the name bundledServerPath looks for', () => {
  const ignore = fs.readFileSync(path.join(__dirname, '..', '..', '.vscodeignore'), 'utf8');
  const included = ignore.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('!server/'));
  const wanted = (['linux', 'darwin', 'win32'] as const).map((p) => '!server/' + path.basename(bundledServerPath('/ext', p)));
  assert.deepEqual([...new Set(included)].sort(), [...new Set(wanted)].sort());
});

test('resolveServerPath finds the .exe of a bare name on Windows (PATHEXT)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kpl-'));
  const exe = path.join(dir, 'kpl-test-bin.exe');
  fs.writeFileSync(exe, 'MZ', { mode: 0o644 }); // no execute bit: Windows has none
  const env = { PATH: `C:\\nonexistent;${dir}`, PATHEXT: '.COM;.EXE;.BAT;.CMD' };
  assert.deepEqual(resolveServerPath('kpl-test-bin', 'B', 'C:\\ws', env, 'win32'),
    { path: exe, source: 'setting', configured: 'kpl-test-bin', onPath: true });
  // a name with its extension is taken as it is
  assert.equal(resolveServerPath('kpl-test-bin.exe', 'B', undefined, env, 'win32').path, exe);
  // no PATHEXT in the environment: the Windows default, which has .EXE
  assert.equal(resolveServerPath('kpl-test-bin', 'B', undefined, { PATH: dir }, 'win32').path, exe);
  // the same directory on Linux: the bare name is not the .exe
  assert.equal(resolveServerPath('kpl-test-bin', 'B', undefined, { PATH: dir }, 'linux').onPath, false);
  fs.rmSync(dir, { recursive: true });
});

test('checkExecutable explains what is wrong', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kpl-'));
  const exe = path.join(dir, 'exe');
  const plain = path.join(dir, 'plain');
  fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(plain, 'x', { mode: 0o644 });
  assert.equal(checkExecutable(exe), undefined);
  assert.equal(checkExecutable(path.join(dir, 'nope')), 'does not exist');
  assert.equal(checkExecutable(dir), 'is not a file');
  if (process.platform !== 'win32') {
    assert.equal(checkExecutable(plain), 'is not executable');
  }
  fs.rmSync(dir, { recursive: true });
});

test('missingServerMessage names the path and where it came from', () => {
  const m = missingServerMessage({ path: '/x/kube-policy-ls', source: 'setting', configured: '/x/kube-policy-ls' }, 'does not exist');
  assert.match(m, /kubePolicy\.serverPath is "\/x\/kube-policy-ls", which does not exist/);
  const rel = missingServerMessage({ path: '/ws/bin/kpl', source: 'setting', configured: 'bin/kpl' }, 'does not exist');
  assert.match(rel, /"bin\/kpl" \(\/ws\/bin\/kpl\), which does not exist/);
  const b = missingServerMessage({ path: '/ext/server/kube-policy-ls', source: 'bundled' }, 'is not executable');
  assert.match(b, /\/ext\/server\/kube-policy-ls is not executable \(bundled/);
});
