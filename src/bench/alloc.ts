import { Agent, createServer, request, type Server } from 'node:http';
import { Session, type HeapProfiler } from 'node:inspector/promises';
import { startSimulator } from '../simulator.js';
import { bareHandler } from './bare-handler.js';
import { BENCH_KEY, SUBMIT_BODY, benchKeys } from './load-shapes.js';

/** Bytes allocated per request, gwsim's and the bare server's, and where gwsim's go. */
export interface Allocation {
  requests: number;
  gwsimBytes: number;
  bareBytes: number;
  /** gwsim's own functions that allocate the most (self bytes per submit), largest first. */
  top: Array<{ frame: string; bytes: number }>;
}

// V8 counts collected objects only when asked; @types/node does not know these flags yet.
interface SamplingParams extends HeapProfiler.StartSamplingParameterType {
  includeObjectsCollectedByMajorGC: boolean;
  includeObjectsCollectedByMinorGC: boolean;
}
const SAMPLING: SamplingParams = {
  samplingInterval: 8192,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
};

/** `count` submits over 32 keep-alive connections, from this process. */
async function drive(url: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${BENCH_KEY}` };
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${url}/api/v1/images/generations`, { method: 'POST', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`submit: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(SUBMIT_BODY);
    });
  const worker = async () => {
    while (sent < count) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  agent.destroy();
}

type ProfileNode = HeapProfiler.SamplingHeapProfileNode;

/** Sample every allocation (collected ones too) while `work` runs; the profile's root. */
async function sampled(session: Session, work: () => Promise<void>): Promise<ProfileNode> {
  await session.post('HeapProfiler.startSampling', SAMPLING);
  await work();
  return (await session.post('HeapProfiler.stopSampling')).profile.head;
}

function selfBytes(root: ProfileNode, into = new Map<string, number>()): Map<string, number> {
  const f = root.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|src)\//, '')}:${f.lineNumber + 1}`;
  into.set(key, (into.get(key) ?? 0) + root.selfSize);
  for (const child of root.children) selfBytes(child, into);
  return into;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);

/** Listen on a loopback port; the server and its URL. */
function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
  );
}

/**
 * Allocation per submit: the bare server and gwsim (time scale 0.001, so every task runs its
 * whole life in the window) in this process, driven by the same client. Each figure includes the
 * client's share, which is the same in both, so gwsim − bare is gwsim's own.
 */
export async function measureAllocation(requests: number, topFrames = 8): Promise<Allocation> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  try {
    const bare = createServer(bareHandler);
    const bareUrl = await listen(bare);
    await drive(bareUrl, 500); // warm: compiled code, open sockets
    const bareBytes = total(selfBytes(await sampled(session, () => drive(bareUrl, requests)))) / requests;
    await new Promise((resolve) => bare.close(resolve));

    const sim = await startSimulator({ port: 0, timeScale: 0.001, config: { keys: benchKeys() } });
    try {
      await drive(sim.url, 500);
      const settle = () => new Promise((resolve) => setTimeout(resolve, 300)); // every task ends in ≤ 8 ms
      await settle();
      const frames = selfBytes(
        await sampled(session, async () => {
          await drive(sim.url, requests);
          await settle();
        }),
      );
      const top = [...frames]
        .filter(([frame]) => !/node_modules|^\(|\snode:/.test(frame))
        .sort((a, b) => b[1] - a[1])
        .slice(0, topFrames)
        .map(([frame, bytes]) => ({ frame, bytes: bytes / requests }));
      return { requests, gwsimBytes: total(frames) / requests, bareBytes, top };
    } finally {
      await sim.close();
    }
  } finally {
    await session.post('HeapProfiler.disable');
    session.disconnect();
  }
}
