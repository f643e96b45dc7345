// Pure helpers of the extension: no `vscode` import, so they are unit-tested
// with plain Node (see test/settings.test.ts).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The configuration section shared with the server (the keys of .kube-policy.yaml, editors/README.md). */
export const SECTION = 'kubePolicy';

/**
 * Settings forwarded to the server. Client-only settings (serverPath,
 * trace.server) stay in the editor.
 */
export const SERVER_KEYS = [
  'profile', 'kubernetesVersion', 'rules', 'defaults', 'policies', 'podSpecPaths', 'exclude',
  'debounceMs', 'diagnosticSeverity', 'docsUrl',
] as const;

/** What `WorkspaceConfiguration.inspect` returns, reduced to what we read. */
export interface Inspection {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  globalLanguageValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

/**
 * Builds the `kubePolicy` object sent as initializationOptions and in answer
 * to workspace/configuration. Only keys the user set in some scope are sent,
 * so that a `.kube-policy.yaml` in the workspace is not overridden by the
 * defaults shown in the settings UI.
 */
export function serverSettings(
  inspect: (key: string) => Inspection | undefined,
  get: (key: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const i = inspect(key);
    if (!i) continue;
    const explicit = [
      i.globalValue, i.workspaceValue, i.workspaceFolderValue,
      i.globalLanguageValue, i.workspaceLanguageValue, i.workspaceFolderLanguageValue,
    ].some((v) => v !== undefined && v !== null);
    if (explicit) out[key] = jsonClone(get(key));
  }
  return out;
}

function jsonClone(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

/** Where the server binary comes from. */
export type ServerSource = 'setting' | 'bundled';

export interface ResolvedServer {
  path: string;
  source: ServerSource;
  /** The setting as the user wrote it (source 'setting'), for messages. */
  configured?: string;
  /** A bare command name, looked up on PATH: whether it was found there. */
  onPath?: boolean;
}

/** The bundled binary's path inside the extension folder. */
export function bundledServerPath(extensionPath: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(extensionPath, 'server', platform === 'win32' ? 'kube-policy-ls.exe' : 'kube-policy-ls');
}

/**
 * Resolves kubePolicy.serverPath (when set) or falls back to the bundled
 * binary. `~` and `${workspaceFolder}` are expanded; a bare command name is
 * looked up on PATH only, as a shell does (not found: `path` stays the name);
 * any other relative path is taken from the first workspace folder.
 */
export function resolveServerPath(
  configured: string | undefined | null,
  bundled: string,
  workspaceFolder: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): ResolvedServer {
  const raw = (configured ?? '').trim();
  if (raw === '') return { path: bundled, source: 'bundled' };
  let p = raw;
  if (workspaceFolder) p = p.split('${workspaceFolder}').join(workspaceFolder);
  if (p === '~' || p.startsWith('~/')) p = path.join(os.homedir(), p.slice(1));
  if (!path.isAbsolute(p)) {
    if (!p.includes('/') && !p.includes('\\')) {
      const found = lookPath(p, env, platform);
      return { path: found ?? p, source: 'setting', configured: raw, onPath: found !== undefined };
    }
    p = path.resolve(workspaceFolder ?? process.cwd(), p);
  }
  return { path: p, source: 'setting', configured: raw };
}

/**
 * Finds a bare command name on PATH. On Windows, as cmd.exe and Go's
 * exec.LookPath do, a name without one of the PATHEXT extensions is tried with
 * each of them, so the README's `kube-policy-ls` finds the installed
 * `kube-policy-ls.exe`. The platform is a parameter so that tests on Linux
 * cover the Windows rules; the directories are joined with the host's `path`.
 */
function lookPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const win = platform === 'win32';
  let names = [name];
  if (win) {
    // Node's process.env is case-insensitive on Windows; a copied env is not.
    const pathext = env.PATHEXT ?? env.Pathext ?? '.COM;.EXE;.BAT;.CMD';
    const exts = pathext.split(';').filter((e) => e !== '').map((e) => e.toLowerCase());
    if (!exts.includes(path.extname(name).toLowerCase())) names = exts.map((e) => name + e);
  }
  const dirs = (env.PATH ?? env.Path ?? '').split(win ? ';' : ':');
  for (const dir of dirs) {
    if (!dir) continue;
    for (const n of names) {
      const candidate = path.join(dir, n);
      if (checkExecutable(candidate, platform) === undefined) return candidate;
    }
  }
  return undefined;
}

/** Why the resolved server cannot be started, or undefined when it can. */
export function serverProblem(resolved: ResolvedServer): string | undefined {
  if (resolved.onPath === false) return 'was not found on PATH';
  return checkExecutable(resolved.path);
}

/** Returns undefined when `p` is an executable file, else why it is not. */
export function checkExecutable(p: string, platform: NodeJS.Platform = process.platform): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 'does not exist';
  }
  if (!st.isFile()) return 'is not a file';
  // Windows has no execute bit: any file may be started (its extension decides how).
  if (platform === 'win32') return undefined;
  try {
    fs.accessSync(p, fs.constants.X_OK);
  } catch {
    return 'is not executable';
  }
  return undefined;
}

/**
 * The message shown when the server cannot be started: it names what the user
 * wrote, and where that was looked for.
 */
export function missingServerMessage(resolved: ResolvedServer, problem: string): string {
  const prefix = 'Kube Policy: cannot start the language server:';
  if (resolved.source === 'bundled') {
    return `${prefix} ${resolved.path} ${problem} (bundled with the extension; set kubePolicy.serverPath to use another binary).`;
  }
  const wrote = JSON.stringify(resolved.configured ?? resolved.path);
  if (resolved.onPath === false) {
    return `${prefix} kubePolicy.serverPath is ${wrote}, which ${problem} (the PATH VS Code was started with). ` +
      'Put kube-policy-ls on it (make install), set an absolute path, or clear the setting to use the bundled server.';
  }
  if (resolved.onPath) {
    return `${prefix} kubePolicy.serverPath is ${wrote}, found on PATH as ${resolved.path}, which ${problem}.`;
  }
  const shown = resolved.configured === resolved.path ? '' : ` (${resolved.path})`;
  return `${prefix} kubePolicy.serverPath is ${wrote}${shown}, which ${problem}.`;
}
