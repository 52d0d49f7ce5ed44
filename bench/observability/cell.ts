// One measured cell: `npm start`'s process in one mode, warmed up, then N closed-loop
// clients sending orders.place then orders.complete for a fixed time; its throughput,
// latency and the CPU each part of the machine spent per command.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LaneStep, newId, runLoad, timed } from '../command-path/load';
import { placeInput } from '../command-path/order-inputs';
import {
  cpuCores,
  cpuSnapshot,
  findTemporalServerPid,
  type Summary,
  summarize,
} from '../command-path/stats';
import { type CommandReplyBody, parseTrpc } from '../command-path/trpc-reply';
import { type AppChild, startAppChild } from './app-child';
import { type Mode, type ModePorts, modeEnvironment } from './modes';
import type { OtlpSink } from './otlp-sink';
import { startScraping } from './scraper';

export interface CellSettings {
  seconds: number;
  warmupSeconds: number;
  clients: number;
  /** The environment every mode shares (data, queues, tokens). */
  baseEnv: Record<string, string>;
  writerToken: string;
  temporalPort: number;
  /** The checkout whose app runs (this one when not given). */
  appRoot?: string;
}

export interface CellResult {
  mode: Mode;
  round: number;
  commands: number;
  commandsPerSecond: number;
  latencyMs: Summary;
  errors: Record<string, number>;
  /** Cores used during the cell, per part of the machine. */
  cores: Record<string, number>;
  /** CPU milliseconds per command: the app's process, and the whole machine. */
  appCpuMsPerCommand: number;
  machineCpuMsPerCommand: number;
  scrapes: number;
  scrapeFailures: number;
  otlp: { requests: number; bytes: number };
}

function commandLane(agent: http.Agent, url: string, token: string): LaneStep {
  const headers = { authorization: `Bearer ${token}` };
  const post = (procedure: string, body: unknown) =>
    timed(agent, `${url}/${procedure}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return async (record, stopped) => {
    const placed = await post('orders.place', { commandId: newId(), ...placeInput() });
    const order = parseTrpc<CommandReplyBody>(placed.reply);
    record({
      kind: 'place',
      ok: !!order.data,
      sentAt: placed.sentAt,
      latencyMs: placed.latencyMs,
      ...(order.error ? { error: order.error } : {}),
    });
    if (!order.data || stopped()) return;
    const done = await post('orders.complete', { commandId: newId(), orderId: order.data.orderId });
    const completed = parseTrpc<CommandReplyBody>(done.reply);
    record({
      kind: 'complete',
      ok: !!completed.data,
      sentAt: done.sentAt,
      latencyMs: done.latencyMs,
      ...(completed.error ? { error: completed.error } : {}),
    });
  };
}

/** Until one command succeeds: the workers start after the API answers. */
async function waitUntilServing(app: AppChild, token: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  const deadline = Date.now() + 120_000;
  try {
    while (Date.now() < deadline) {
      const { reply } = await timed(agent, `${app.trpcUrl}/orders.place`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ commandId: newId(), ...placeInput() }),
      });
      if (reply.status === 200) return;
      await sleep(500);
    }
    throw new Error('the app did not serve a command within 120 s');
  } finally {
    agent.destroy();
  }
}

export async function measureCell(
  mode: Mode,
  round: number,
  settings: CellSettings,
  ports: ModePorts,
  sink: OtlpSink,
): Promise<CellResult> {
  const app = await startAppChild(
    { ...settings.baseEnv, ...modeEnvironment(mode, ports) },
    settings.appRoot,
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: settings.clients });
  const scraper =
    mode === 'off'
      ? undefined
      : startScraping([
          `http://127.0.0.1:${ports.metrics}/metrics`,
          `http://127.0.0.1:${ports.temporalMetrics}/metrics`,
        ]);
  try {
    await waitUntilServing(app, settings.writerToken);
    const lane = commandLane(agent, app.trpcUrl, settings.writerToken);
    await runLoad(settings.clients, settings.warmupSeconds, lane);
    const temporalPid = findTemporalServerPid(settings.temporalPort);
    const groups = {
      bench: [process.pid],
      workers: [app.pid],
      temporal: temporalPid ? [temporalPid] : [],
    };
    sink.take();
    const before = cpuSnapshot(groups);
    const load = await runLoad(settings.clients, settings.seconds, lane);
    const after = cpuSnapshot(groups);
    const otlp = sink.take();
    const cores = cpuCores(before, after);
    const ok = load.samples.filter((s) => s.ok);
    const commandsPerSecond = ok.length / settings.seconds;
    const perCommand = (c: number) => (c * 1000) / Math.max(1e-9, commandsPerSecond);
    const { scrapes, failures } = (await scraper?.stop()) ?? { scrapes: 0, failures: 0 };
    return {
      mode,
      round,
      commands: ok.length,
      commandsPerSecond,
      latencyMs: summarize(ok.map((s) => s.latencyMs)),
      errors: load.errors,
      cores,
      appCpuMsPerCommand: perCommand(cores.workers ?? 0),
      machineCpuMsPerCommand: perCommand(cores.machineBusy ?? 0),
      scrapes,
      scrapeFailures: failures,
      otlp,
    };
  } finally {
    await scraper?.stop();
    agent.destroy();
    await app.stop();
  }
}
