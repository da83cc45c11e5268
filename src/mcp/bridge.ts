/**
 * `seam mcp --url`: stdio on one side, a running seam's `/mcp` on the other. Messages pass through
 * unchanged; the service does all the checking and auditing. This is the way to give a launched
 * MCP client (Claude Desktop) access while `seam serve` runs on the embedded store, which only one
 * process may open.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';
import { areaLogger, type Logger } from '../log.ts';
import { MCP_PATH } from './http.ts';

/** JSON-RPC "server error" code for a request the service refused or could not be reached for. */
const UPSTREAM_ERROR = -32000;

export interface Bridge {
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function bridgeStdio(opts: {
  url: string;
  key: string;
  log: Logger;
  stdin?: Readable;
  stdout?: Writable;
}): Promise<Bridge> {
  const stdin = opts.stdin ?? process.stdin;
  const log = areaLogger(opts.log, 'mcp');
  const endpoint = new URL(MCP_PATH, opts.url);
  const upstream = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { authorization: `Bearer ${opts.key}` } },
  });
  const local = new StdioServerTransport(stdin, opts.stdout ?? process.stdout);

  local.onmessage = (msg: JSONRPCMessage) => {
    upstream.send(msg).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message }, 'seam refused or did not answer an MCP message');
      if (isJSONRPCRequest(msg))
        void local.send({ jsonrpc: '2.0', id: msg.id, error: { code: UPSTREAM_ERROR, message } });
    });
  };
  upstream.onmessage = (msg: JSONRPCMessage) => {
    // The HTTP transport must send the negotiated version on every later request.
    if (isJSONRPCResultResponse(msg) && typeof msg.result.protocolVersion === 'string')
      upstream.setProtocolVersion(msg.result.protocolVersion);
    void local.send(msg);
  };
  upstream.onerror = (err) => log.warn({ err: err.message }, 'MCP connection to seam reported an error');
  local.onerror = (err) => log.warn({ err: err.message }, 'unreadable MCP message on stdin');

  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await local.close().catch(() => undefined);
      await upstream.close().catch(() => undefined);
      finished();
    })());
  stdin.once('end', () => void stop());
  stdin.once('close', () => void stop());
  await upstream.start();
  await local.start();
  log.info({ url: endpoint.href }, 'mcp (stdio) bridged to seam');
  return { done, stop };
}
