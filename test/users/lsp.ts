/**
 * A minimal Language Server Protocol client over stdio (Content-Length framed JSON-RPC), enough
 * to drive the real yaml-language-server as an editor does: initialize, answer its
 * configuration requests, open a document, ask for completions, collect published diagnostics.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Diagnostic {
  readonly message: string;
  readonly range: { start: { line: number; character: number }; end: { line: number; character: number } };
  readonly severity?: number;
}

export interface CompletionItem {
  readonly label: string;
  readonly insertText?: string;
  readonly textEdit?: { newText: string };
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class LanguageServerClient {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #diagnostics = new Map<string, { version?: number; items: Diagnostic[] }>();
  readonly #waiters: (() => void)[] = [];
  #buffer = Buffer.alloc(0);
  #nextId = 1;
  stderr = '';

  constructor(command: string, args: readonly string[], readonly settings: Record<string, unknown>) {
    this.#child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#child.on('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`language server exited (${String(code)}): ${this.stderr}`));
      this.#pending.clear();
    });
  }

  #send(message: object): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.#child.stdin!.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.#child.stdin!.write(body);
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.#buffer.subarray(0, end).toString())?.[1]);
      if (this.#buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as {
        id?: number;
        method?: string;
        params?: unknown;
        result?: unknown;
        error?: { message: string };
      };
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      this.#dispatch(message);
    }
  }

  #dispatch(m: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } }): void {
    if (m.method === undefined && m.id !== undefined) {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
      return;
    }
    if (m.method === 'workspace/configuration' && m.id !== undefined) {
      const items = (m.params as { items: { section?: string }[] }).items;
      this.#send({ id: m.id, result: items.map((i) => (i.section ? (this.settings[i.section] ?? null) : this.settings)) });
      return;
    }
    if (m.method === 'textDocument/publishDiagnostics') {
      const { uri, version, diagnostics } = m.params as { uri: string; version?: number; diagnostics: Diagnostic[] };
      this.#diagnostics.set(uri, { ...(version !== undefined ? { version } : {}), items: diagnostics });
      this.#waiters.splice(0).forEach((w) => w());
      return;
    }
    // Other server requests (client/registerCapability, window/workDoneProgress/create): accept.
    if (m.id !== undefined && m.method !== undefined) this.#send({ id: m.id, result: null });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.#send({ method, params });
  }

  async initialize(rootUri: string): Promise<void> {
    await this.request('initialize', {
      processId: process.pid,
      rootUri,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: { versionSupport: true },
        },
      },
      workspaceFolders: [{ uri: rootUri, name: 'project' }],
    });
    this.notify('initialized', {});
    this.notify('workspace/didChangeConfiguration', { settings: this.settings });
  }

  open(uri: string, text: string, version = 1): void {
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version, text } });
  }

  change(uri: string, text: string, version: number): void {
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async completions(uri: string, line: number, character: number): Promise<CompletionItem[]> {
    const result = await this.request<{ items: CompletionItem[] } | CompletionItem[] | null>('textDocument/completion', {
      textDocument: { uri },
      position: { line, character },
    });
    return Array.isArray(result) ? result : (result?.items ?? []);
  }

  /** The diagnostics published for `uri` at `version` (the server publishes after each change). */
  async diagnostics(uri: string, version: number, timeoutMs = 20_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.#diagnostics.get(uri);
      if (hit && (hit.version === undefined || hit.version === version)) return hit.items;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no diagnostics for ${uri} v${version} within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.request('shutdown', null), new Promise((r) => setTimeout(r, 2000))]);
      this.notify('exit', null);
    } catch {
      // already gone
    }
    this.#child.kill();
  }
}
