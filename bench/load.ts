import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import type { PreparedRequest } from './queries.js';

// The two load models. Both pick a random prepared request (token) per request and look at every
// response body (a cheap `"errors"` substring test) as well as the status.
//
// - closedLoop: autocannon, `connections` connections each sending its next request as soon as
//   the previous answer arrives: the maximum throughput, and latency *at saturation*.
// - fixedRate: an open-loop, evenly paced generator (the wrk2 model): request i is sent at
//   t0 + i/rate whether or not earlier ones have been answered, so the latency is the latency at
//   that rate. autocannon's own `overallRate` is not used for this: it gives each connection a
//   per-second budget that it spends back to back at the start of every second (a closed-loop
//   burst of `connections` requests, then idle), and its default coordinated-omission
//   "correction" with an expected interval of ceil(1/rate) = 1 ms adds synthetic samples below
//   the real ones (a server that always takes 10 ms showed p50 = 7 ms).

export interface LoadOutcome {
  /** Requests completed (any status). */
  requests: number;
  durationSeconds: number;
  /** Latency percentiles, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errorBodies: number;
  socketErrors: number;
  timeouts: number;
  sampleBadBody: string | null;
}

const pick = (pool: PreparedRequest[]) => pool[Math.floor(Math.random() * pool.length)]!;

export async function closedLoop(url: string, pool: PreparedRequest[], connections: number, seconds: number): Promise<LoadOutcome> {
  let errorBodies = 0;
  let sampleBadBody: string | null = null;
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const r = pick(pool);
          return { ...req, method: 'POST', headers: r.headers, body: r.body };
        },
        onResponse: (status, responseBody) => {
          if (status !== 200 || responseBody.includes('"errors"')) {
            errorBodies += 1;
            sampleBadBody ??= `HTTP ${status} ${responseBody.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errorBodies,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    sampleBadBody,
  };
}

export interface FixedRateOutcome extends LoadOutcome {
  /** Requests per second asked for. */
  rate: number;
  /** Requests sent (rate x seconds). */
  scheduled: number;
  /** Completed requests / (last completion - first send): below the rate when the server fell behind. */
  achievedRps: number;
  /** How late the generator's timer sent requests (ms): its own lag, not the server's. */
  sendLagP50: number;
  sendLagP99: number;
}

/** The q-quantile of ascending `sorted` (nearest rank). */
export const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! : NaN);

/**
 * Sends `rate` requests per second, evenly spaced, for `seconds`, over at most `connections`
 * keep-alive connections (a request that finds them all busy waits for one, and that wait
 * counts). Latency runs from the moment the request is handed to the HTTP client to the end of its
 * response body, so any queueing, in the server or for a connection, is in it: sending never waits
 * for an answer (no coordinated omission). The generator's own timer lag (Node's timers have 1 ms
 * resolution: about 0.5 ms late on average) is left out of the latency but reported, and the
 * requests it delayed go out together as soon as it fires, so the rate holds.
 */
export async function fixedRate(url: string, pool: PreparedRequest[], opts: { rate: number; seconds: number; connections: number; timeoutMs?: number }): Promise<FixedRateOutcome> {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const interval = 1000 / opts.rate;
  const scheduled = Math.max(1, Math.round(opts.rate * opts.seconds));
  const latencies: number[] = [];
  const lags: number[] = [];
  let non2xx = 0;
  let errorBodies = 0;
  let socketErrors = 0;
  let timeouts = 0;
  let sampleBadBody: string | null = null;
  let lastDone = 0;
  const t0 = performance.now();

  await new Promise<void>((allDone) => {
    let sent = 0;
    let outstanding = 0;
    const finished = () => {
      outstanding -= 1;
      if (sent === scheduled && outstanding === 0) allDone();
    };
    const send = () => {
      const start = performance.now();
      const r = pick(pool);
      outstanding += 1;
      let over = false;
      const once = (fn: () => void) => () => {
        if (over) return;
        over = true;
        fn();
        finished();
      };
      const req = request(
        { agent, host: hostname, port, path: '/graphql', method: 'POST', headers: { ...r.headers, 'content-length': Buffer.byteLength(r.body) }, timeout: opts.timeoutMs ?? 10_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on(
            'end',
            once(() => {
              lastDone = performance.now();
              latencies.push(lastDone - start);
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode !== 200) non2xx += 1;
              if (res.statusCode !== 200 || text.includes('"errors"')) {
                errorBodies += 1;
                sampleBadBody ??= `HTTP ${res.statusCode} ${text.slice(0, 300)}`;
              }
            }),
          );
          res.on('error', once(() => (socketErrors += 1)));
        },
      );
      req.on('timeout', () => {
        if (!over) {
          timeouts += 1;
          over = true;
          finished();
        }
        req.destroy();
      });
      req.on('error', once(() => (socketErrors += 1)));
      req.end(r.body);
    };
    const tick = () => {
      const now = performance.now();
      // Everything that is due goes now (catching up if the timer fired late): the rate holds.
      while (sent < scheduled && t0 + sent * interval <= now) {
        const due = t0 + sent * interval;
        lags.push(now - due);
        sent += 1;
        send();
      }
      if (sent < scheduled) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
      else if (outstanding === 0) allDone();
    };
    tick();
  });
  agent.destroy();

  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const elapsed = (lastDone - t0) / 1000;
  return {
    requests: latencies.length,
    durationSeconds: opts.seconds,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: latencies.at(-1) ?? NaN,
    non2xx,
    errorBodies,
    socketErrors,
    timeouts,
    sampleBadBody,
    rate: opts.rate,
    scheduled,
    achievedRps: elapsed > 0 ? latencies.length / elapsed : 0,
    sendLagP50: quantile(lags, 0.5),
    sendLagP99: quantile(lags, 0.99),
  };
}

/**
 * Sends every request of `pool` once, `connections` at a time (autocannon, closed loop): each
 * token (and so each tenant) has been seen before timing, as on a server that has been serving
 * them. Returns the bad answers.
 */
export async function eachOnce(url: string, pool: PreparedRequest[], connections: number): Promise<{ bad: number; sampleBadBody: string | null }> {
  let next = 0;
  let bad = 0;
  let sampleBadBody: string | null = null;
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: Math.min(connections, pool.length),
    amount: pool.length,
    requests: [
      {
        setupRequest: (req) => {
          const r = pool[next++ % pool.length]!;
          return { ...req, method: 'POST', headers: r.headers, body: r.body };
        },
        onResponse: (status, responseBody) => {
          if (status !== 200 || responseBody.includes('"errors"')) {
            bad += 1;
            sampleBadBody ??= `HTTP ${status} ${responseBody.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  bad += result.errors + result.timeouts;
  return { bad, sampleBadBody };
}
