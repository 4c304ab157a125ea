// Jobs the worker itself provides. `info` reports the process and the TF.js backend the engine picks
// (src/engine/backend.ts), so the editor can show where and how checks will run.

import type { BackendInfo, InfoParams, InfoResult } from '../protocol/jobs';
import { InvalidParamsError, expectObject, jobNames, noExtraKeys, registerJob } from './jobs';
import { machineSummary } from '../platform/node/process';

function parseInfo(raw: unknown): InfoParams {
  if (raw === undefined || raw === null) return {};
  const o = expectObject(raw, 'info');
  noExtraKeys(o, ['backend', 'activate'], 'info');
  const out: InfoParams = {};
  if (o.backend !== undefined) {
    if (typeof o.backend !== 'string') throw new InvalidParamsError(`'info' parameter 'backend' must be a string, got ${JSON.stringify(o.backend)}`);
    out.backend = o.backend;
  }
  if (o.activate !== undefined) {
    if (typeof o.activate !== 'boolean') throw new InvalidParamsError(`'info' parameter 'activate' must be true or false, got ${JSON.stringify(o.activate)}`);
    out.activate = o.activate;
  }
  return out;
}

registerJob<InfoParams, InfoResult>(
  'info',
  async (params, ctx) => {
    ctx.progress({ phase: 'probe', fraction: 0, message: 'Probing TF.js backends' });
    // Loaded here, not at startup: it pulls in TF.js, which the worker only pays for when a job needs it.
    const backend = await import('../engine/backend');
    let preference;
    try {
      preference = backend.parseBackendPreference(params.backend);
    } catch (e) {
      throw new InvalidParamsError(e instanceof Error ? e.message : String(e));
    }
    const probes = await backend.probeBackends({ preference });
    ctx.cancel.throwIfCancelled();
    let chosen: BackendInfo | undefined;
    if (params.activate !== false) {
      ctx.progress({ phase: 'activate', fraction: 0.5, message: 'Starting the backend' });
      chosen = await backend.initBackend({ preference });
      ctx.log('info', `backend: ${chosen.name} (${chosen.reason})`);
    }
    ctx.progress({ phase: 'done', fraction: 1, message: 'Done' });
    return {
      process: {
        pid: process.pid,
        node: process.versions.node,
        platform: process.platform,
        arch: process.arch,
        ...machineSummary(),
        rssBytes: process.memoryUsage().rss,
      },
      jobs: jobNames(),
      probes: probes.map((p) => ({ name: p.name, available: p.available, note: p.note })),
      ...(chosen ? { backend: chosen } : {}),
    };
  },
  parseInfo,
);
