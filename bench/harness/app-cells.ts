// One cell against `npm start`'s process started afresh: warmed up, then N closed-loop
// clients sending orders.place then orders.complete for a fixed time; the rate, latency and
// the CPU each part of the machine spent per command. Shared by the benchmarks that compare
// whole app processes (observability modes, revisions).
import http from 'node:http';
import { type AppOptions, startApp } from './app-process';
import { cleanupMark, runCleanups } from './cleanups';
import { commandLane } from './commands';
import { listenerPid, startCpuMeter } from './cpu';
import { stackPort } from './data-sets';
import { closedLoop, summarizeLoad } from './load';
import { round } from './stats';

export interface AppCellSettings {
  clients: number;
  seconds: number;
  warmupSeconds: number;
}

export async function appCell(
  env: Record<string, string>,
  settings: AppCellSettings,
  options: AppOptions & { beforeWindow?: () => void } = {},
) {
  const mark = cleanupMark();
  try {
    const app = await startApp(env, options);
    const agent = new http.Agent({ keepAlive: true, maxSockets: settings.clients });
    const lane = commandLane(agent, app);
    await closedLoop(settings.clients, settings.warmupSeconds, lane);
    const temporal = listenerPid(stackPort(7233));
    options.beforeWindow?.();
    const meter = startCpuMeter({ app: [app.pid], temporal: temporal ? [temporal] : [] });
    const load = await closedLoop(settings.clients, settings.seconds, lane);
    const cores = meter.stop();
    agent.destroy();
    const { perSecond, latencyMs, errors } = summarizeLoad(load);
    const perCommand = (c = 0) => (perSecond > 0 ? round((c * 1000) / perSecond, 1) : Number.NaN);
    return {
      commandsPerSecond: perSecond,
      latencyMs,
      errors,
      cores,
      /** The app's own CPU (every thread, the SDK's Rust core too), and the machine's. */
      appCpuMsPerCommand: perCommand(cores.app),
      machineCpuMsPerCommand: perCommand(cores.machine),
    };
  } finally {
    await runCleanups(mark);
  }
}
export type AppCell = Awaited<ReturnType<typeof appCell>>;
