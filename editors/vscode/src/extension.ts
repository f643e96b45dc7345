// VS Code client for kube-policy-ls: starts the bundled (or configured)
// server binary on stdio and forwards the kubePolicy settings. All checking
// happens in the server.

import * as fs from 'fs';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  SECTION,
  bundledServerPath,
  checkExecutable,
  missingServerMessage,
  resolveServerPath,
  serverProblem,
  serverSettings,
} from './settings';

/** What the extension exports: used by the end-to-end tests and other extensions. */
export interface KubePolicyApi {
  /** The running client, if any. */
  readonly client: LanguageClient | undefined;
  /** The binary the last start tried. */
  readonly serverPath: string | undefined;
  /** Why the last start failed, or undefined. */
  readonly lastError: string | undefined;
  /** Whether the notification of a failed start is still open. */
  readonly errorShown: boolean;
  /** Resolves when the current start or restart attempt has finished. */
  ready(): Promise<void>;
}

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let lastPath: string | undefined;
let lastError: string | undefined;
// Closes the notification of the last failed start. An error message cannot be
// closed by an extension and would stay after the server recovers; a progress
// notification can be, so the error is shown as one.
let dismissError: (() => void) | undefined;
// The server's state next to the language indicator of YAML files: while the
// server is down it keeps the error, with a link to the setting.
let status: vscode.LanguageStatusItem;
// Starts and stops are chained so that they never overlap.
let queue: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): KubePolicyApi {
  output = vscode.window.createOutputChannel('Kube Policy', { log: true });
  context.subscriptions.push(output);
  status = vscode.languages.createLanguageStatusItem('kubePolicy.status', { language: 'yaml' });
  status.name = 'Kube Policy';
  context.subscriptions.push(status, { dispose: () => dismissError?.() });

  context.subscriptions.push(
    vscode.commands.registerCommand('kubePolicy.restartServer', () => enqueue(() => restart(context))),
    vscode.commands.registerCommand('kubePolicy.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      if (e.affectsConfiguration(`${SECTION}.serverPath`)) {
        void enqueue(() => restart(context));
      } else if (client?.isRunning()) {
        // Push model for servers that do not pull; servers that pull get the
        // same object from the configuration middleware below.
        void client
          .sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: currentSettings() } })
          .catch((err: unknown) => output.error(`didChangeConfiguration failed: ${errorText(err)}`));
      }
    }),
  );

  void enqueue(() => start(context));

  return {
    get client() { return client; },
    get serverPath() { return lastPath; },
    get lastError() { return lastError; },
    get errorShown() { return dismissError !== undefined; },
    ready: () => queue,
  };
}

export function deactivate(): Promise<void> | undefined {
  return client ? stop() : undefined;
}

function enqueue(step: () => Promise<void>): Promise<void> {
  queue = queue.then(step, step);
  return queue;
}

function currentSettings(): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  return serverSettings((k) => cfg.inspect(k), (k) => cfg.get(k));
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  lastError = undefined;
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const bundled = bundledServerPath(context.extensionPath);
  const resolved = resolveServerPath(cfg.get<string>('serverPath'), bundled, folder);
  lastPath = resolved.path;

  let problem = serverProblem(resolved);
  if (problem === 'is not executable' && resolved.source === 'bundled') {
    // Some unzip paths drop the mode bits of the packaged binary.
    try {
      fs.chmodSync(resolved.path, 0o755);
      problem = checkExecutable(resolved.path);
    } catch {
      // keep the original problem
    }
  }
  if (problem !== undefined) {
    fail(missingServerMessage(resolved, problem));
    return;
  }

  output.info(`Starting ${resolved.path} serve (${resolved.source})`);
  const serverOptions: ServerOptions = {
    command: resolved.path,
    args: ['serve'],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
      // Helm charts (rendered and checked as a whole by the server): templates that an
      // extension marks as helm, and helpers, whatever language they are given.
      { scheme: 'file', language: 'helm' },
      { scheme: 'file', pattern: '**/templates/**/*.tpl' },
    ],
    outputChannel: output,
    initializationOptions: () => currentSettings(),
    diagnosticCollectionName: 'kube-policy-ls',
    middleware: {
      workspace: {
        // The client may still be pushing a change while a restart stops it.
        didChangeConfiguration: async (sections, next) => {
          try {
            await next(sections);
          } catch (err) {
            output.debug(`didChangeConfiguration not sent: ${errorText(err)}`);
          }
        },
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return params.items.map((item, i) =>
            item.section === SECTION ? currentSettings() : result[i]);
        },
      },
    },
  };
  // The id 'kubePolicy' makes the client honour the kubePolicy.trace.server setting.
  const c = new LanguageClient('kubePolicy', 'Kube Policy', serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
  } catch (err) {
    client = undefined;
    fail(`Kube Policy: the language server ${resolved.path} failed to start: ${errorText(err)}`);
    return;
  }
  recovered(resolved.path);
}

function recovered(serverPath: string): void {
  dismissError?.();
  dismissError = undefined;
  status.severity = vscode.LanguageStatusSeverity.Information;
  status.text = 'Kube Policy';
  status.detail = serverPath;
  status.command = { title: 'Show Output', command: 'kubePolicy.showOutput' };
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c && c.state !== State.Stopped) {
    try {
      await c.stop(2000);
    } catch (err) {
      output.error(`Stopping the server failed: ${errorText(err)}`);
    }
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

function fail(message: string): void {
  lastError = message;
  output.error(message);
  status.severity = vscode.LanguageStatusSeverity.Error;
  status.text = 'Kube Policy: no server';
  status.detail = message;
  status.command = { title: 'Open Settings', command: 'workbench.action.openSettings', arguments: [`${SECTION}.serverPath`] };
  dismissError?.();
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: message, cancellable: true },
    (_progress, token) => new Promise<void>((resolve) => {
      dismissError = resolve;
      token.onCancellationRequested(() => {
        // closed by the user: forget it, unless a newer one replaced it meanwhile
        if (dismissError === resolve) dismissError = undefined;
        resolve();
      });
    }),
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

