#!/usr/bin/env node
// A stdio LSP proxy that corrupts what the server says, to prove that the
// end-to-end tests notice (see selfcheck.sh). Usage:
//   node lsp-mutate.js MODE SERVER [ARGS...]
// MODE:
//   none    pass everything through (the control: the tests must still pass)
//   ranges  every diagnostic range ends one character early
//   fixtext every edit's new text writes booleans as True/False (valid YAML, wrong text)
//   novalues a chart's values.yaml gets no diagnostics (the findings stay on the templates)
'use strict';

const { spawn } = require('child_process');

const [mode, bin, ...args] = process.argv.slice(2);
if (!['none', 'ranges', 'fixtext', 'novalues'].includes(mode) || !bin) {
  process.stderr.write('usage: lsp-mutate.js none|ranges|fixtext|novalues SERVER [ARGS...]\n');
  process.exit(2);
}

const server = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
server.on('error', (err) => { process.stderr.write(`lsp-mutate: ${err.message}\n`); process.exit(1); });

// Methods of the client's pending requests, to know what a response answers.
const pending = new Map();

function frames(stream, onMessage) {
  let buf = Buffer.alloc(0);
  stream.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sep = buf.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const m = /Content-Length:\s*(\d+)/i.exec(buf.subarray(0, sep).toString('ascii'));
      if (!m) throw new Error('lsp-mutate: frame without Content-Length');
      const len = Number(m[1]);
      if (buf.length < sep + 4 + len) return;
      const body = buf.subarray(sep + 4, sep + 4 + len).toString('utf8');
      buf = buf.subarray(sep + 4 + len);
      onMessage(JSON.parse(body));
    }
  });
}

function send(stream, msg) {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  stream.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
}

function shortenRanges(diags) {
  for (const d of diags || []) {
    if (d && d.range && d.range.end.character > 0) d.range.end.character -= 1;
  }
}

function shortenReport(report) {
  if (!report) return;
  if (report.kind === 'full') shortenRanges(report.items);
  for (const r of Object.values(report.relatedDocuments || {})) shortenReport(r);
  for (const r of report.items && report.kind === undefined ? report.items : []) shortenReport(r); // workspace/diagnostic
}

function capitaliseBooleans(v) {
  if (Array.isArray(v)) return v.forEach(capitaliseBooleans);
  if (!v || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'newText' && typeof x === 'string') {
      v[k] = x.replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False');
    } else {
      capitaliseBooleans(x);
    }
  }
}

const isValues = (uri) => typeof uri === 'string' && uri.endsWith('/values.yaml');

// The documents of the client's pending pull requests (textDocument/diagnostic), by id.
const pulled = new Map();

function dropValues(uri, report) {
  if (!report) return;
  if (report.kind === 'full' && isValues(uri)) report.items = [];
  for (const [u, r] of Object.entries(report.relatedDocuments || {})) dropValues(u, r);
}

function toClient(msg) {
  if (mode === 'ranges') {
    if (msg.method === 'textDocument/publishDiagnostics') shortenRanges(msg.params.diagnostics);
    const method = msg.id !== undefined && msg.method === undefined ? pending.get(msg.id) : undefined;
    if (method === 'textDocument/diagnostic' || method === 'workspace/diagnostic') shortenReport(msg.result);
  }
  if (mode === 'fixtext') {
    if (msg.method === 'workspace/applyEdit') capitaliseBooleans(msg.params);
    const method = msg.id !== undefined && msg.method === undefined ? pending.get(msg.id) : undefined;
    if (method === 'textDocument/codeAction' || method === 'codeAction/resolve') capitaliseBooleans(msg.result);
  }
  if (mode === 'novalues') {
    if (msg.method === 'textDocument/publishDiagnostics' && isValues(msg.params.uri)) msg.params.diagnostics = [];
    const method = msg.id !== undefined && msg.method === undefined ? pending.get(msg.id) : undefined;
    if (method === 'textDocument/diagnostic') dropValues(pulled.get(msg.id), msg.result);
    if (method === 'workspace/diagnostic') for (const r of (msg.result && msg.result.items) || []) dropValues(r.uri, r);
  }
  if (msg.id !== undefined && msg.method === undefined) pulled.delete(msg.id);
  if (msg.id !== undefined && msg.method === undefined) pending.delete(msg.id);
  return msg;
}

frames(process.stdin, (msg) => {
  if (msg.method && msg.id !== undefined) pending.set(msg.id, msg.method);
  if (msg.method === 'textDocument/diagnostic') pulled.set(msg.id, msg.params.textDocument.uri);
  send(server.stdin, msg);
});
frames(server.stdout, (msg) => send(process.stdout, toClient(msg)));
process.stdin.on('end', () => server.stdin.end());
