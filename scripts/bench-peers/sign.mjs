// Raw JWT signing with node:crypto, the primitive beneath oidc-provider's
// tokens: header and claims like a peer's access token, signed for
// SECONDS on one process and then on one process per core (node:cluster).
// Prints one JSON line per figure in the results format of idmap-bench
// (`kind: limit`), so that `idmap-bench report` lists it as a companion.
//
//   node sign.mjs ALG SECONDS      (ALG: RS256, ES256 or EdDSA)
import cluster from 'node:cluster';
import { generateKeyPairSync, sign } from 'node:crypto';
import { availableParallelism } from 'node:os';

const [alg = 'RS256', seconds = '5'] = process.argv.slice(2);
const KEYS = {
  RS256: [['rsa', { modulusLength: 2048 }], 'sha256', {}],
  ES256: [['ec', { namedCurve: 'P-256' }], 'sha256', { dsaEncoding: 'ieee-p1363' }],
  EdDSA: [['ed25519', {}], null, {}],
};
if (!KEYS[alg]) throw new Error(`unsupported algorithm ${alg}`);

function signFor(ms) {
  const [[type, options], digest, encoding] = KEYS[alg];
  const key = generateKeyPairSync(type, options).privateKey;
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg, typ: 'at+jwt', kid: 'peer' })}.${b64({
    jti: 'B_B92wGfbgeFuxyhKNKJS', sub: 'bench-client', iat: now, exp: now + 3600,
    scope: 'idmap:link', client_id: 'bench-client', iss: 'http://127.0.0.1:8081', aud: 'idmap',
  })}`;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(ms * 1e6));
  let ops = 0;
  while (process.hrtime.bigint() < end) {
    sign(digest, Buffer.from(input), { key, ...encoding }).toString('base64url');
    ops += 1;
  }
  return { ops, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
}

function line(processes, ops, elapsed) {
  console.log(JSON.stringify({
    kind: 'limit',
    name: `jwt sign ${alg} (node:crypto, node ${process.version})`,
    threads: processes,
    ops,
    elapsed_s: elapsed,
    per_s: ops / elapsed,
    unit: 'tokens',
  }));
}

const ms = Number(seconds) * 1000;
if (cluster.isPrimary) {
  const single = signFor(ms);
  line(1, single.ops, single.elapsed);
  const cores = availableParallelism();
  const results = [];
  for (let i = 0; i < cores; i += 1) {
    cluster.fork().on('message', (r) => {
      results.push(r);
      if (results.length === cores) {
        const ops = results.reduce((sum, r) => sum + r.ops, 0);
        line(cores, ops, Math.max(...results.map((r) => r.elapsed)));
      }
    });
  }
} else {
  process.send(signFor(ms), () => process.exit(0));
}
