// oidc-provider as the benchmark's peer, configured as the comparison
// figures were taken: node:cluster workers behind one port, static
// in-memory clients, client_credentials, introspection, and JWT access
// tokens for one resource server (oidc-provider issues JWTs only for a
// named resource; tokens without one are opaque and kept in memory).
//
// Environment: PEER_PORT, PEER_ALG (RS256, ES256 or EdDSA), PEER_WORKERS
// (default 2), PEER_CLIENT_ID and PEER_CLIENT_SECRET (the generator's
// partner client), PEER_RESOURCE (the resource indicator), PEER_READY_FILE
// (written with the worker pids once every worker listens).
import cluster from 'node:cluster';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const KEY_TYPES = {
  RS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
  EdDSA: ['ed25519', {}],
};

if (cluster.isPrimary) {
  const alg = env('PEER_ALG', 'RS256');
  if (!KEY_TYPES[alg]) throw new Error(`unsupported PEER_ALG ${alg}`);
  // One signing key for every worker, so that any of them verifies what
  // another issued and the JWKS is the same whoever answers.
  const [type, options] = KEY_TYPES[alg];
  const jwk = generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
  const workers = Number(env('PEER_WORKERS', '2'));
  let ready = 0;
  for (let i = 0; i < workers; i += 1) {
    cluster.fork({ PEER_JWK: JSON.stringify({ ...jwk, alg, use: 'sig', kid: `peer-${alg}` }) });
  }
  cluster.on('message', (from, message) => {
    if (message === 'listening') {
      ready += 1;
      if (ready === workers) {
        const pids = Object.values(cluster.workers).map((w) => w.process.pid);
        writeFileSync(env('PEER_READY_FILE'), `${pids.join(' ')}\n`);
      }
      return;
    }
    // A store write of one worker, replayed in every other one.
    for (const worker of Object.values(cluster.workers)) {
      if (worker !== from) worker.send(message);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    console.error(`peer worker ${worker.process.pid} ended (${signal ?? code})`);
    process.exit(1);
  });
  const stop = () => {
    cluster.removeAllListeners('exit');
    for (const worker of Object.values(cluster.workers)) worker.kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const jwk = JSON.parse(env('PEER_JWK'));
  const port = Number(env('PEER_PORT'));
  const resource = env('PEER_RESOURCE');

  // oidc-provider's own in-memory store in each worker; writes are
  // replayed in the sibling workers, so that an opaque token issued by one
  // is introspected by any (reads stay local, as with one process).
  class SharedMemoryAdapter extends MemoryAdapter {
    async upsert(id, payload, expiresIn) {
      await super.upsert(id, payload, expiresIn);
      process.send(['upsert', this.model, id, payload, expiresIn]);
    }

    async destroy(id) {
      await super.destroy(id);
      process.send(['destroy', this.model, id]);
    }

    async consume(id) {
      await super.consume(id);
      process.send(['consume', this.model, id]);
    }

    async revokeByGrantId(grantId) {
      await super.revokeByGrantId(grantId);
      process.send(['revokeByGrantId', this.model, grantId]);
    }
  }
  process.on('message', ([op, model, ...args]) => {
    MemoryAdapter.prototype[op].apply(new MemoryAdapter(model), args);
  });

  const scope = 'idmap:link idmap:read';
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    adapter: SharedMemoryAdapter,
    clients: [{
      client_id: env('PEER_CLIENT_ID'),
      client_secret: env('PEER_CLIENT_SECRET'),
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: jwk.alg,
      scope,
    }],
    scopes: scope.split(' '),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo(ctx, indicator) {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope,
            audience: 'idmap',
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: jwk.alg } },
          };
        },
      },
    },
  });
  provider.listen(port, '127.0.0.1', () => process.send('listening'));
}
