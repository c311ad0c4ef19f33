/**
 * The Temporal server's config for the cluster stack: a template the server renders itself (the
 * `# enable-template` first line makes it run the file through Go's text/template with an `env`
 * function; temporalio/temporal common/config/loader.go), so the file on disk holds no password and
 * no port, only `{{ env "…" }}`. The values come from clusterEnv() in the server's environment.
 *
 * Four services (frontend, history, matching, worker) in one process, on 127.0.0.1, against two
 * PostgreSQL databases through the `postgres12` SQL plugin: `temporal` (the default store) and
 * `temporal_visibility` (SQL visibility, which is what holds Lakeloop's search attributes). The shape
 * and numbers are the verified minimal config of /work/shared/reference/temporal-cluster.md
 * (v1.31.2 and v1.32.1). Every port must stay below 32768: see ports.ts.
 */
import { writeFileSync } from 'node:fs';
import { PG_USER } from './postgres.js';

export interface ClusterPorts {
  postgres: number;
  frontendGrpc: number;
  frontendHttp: number;
  frontendMembership: number;
  historyGrpc: number;
  historyMembership: number;
  matchingGrpc: number;
  matchingMembership: number;
  workerGrpc: number;
  workerMembership: number;
}

/**
 * The shard count is fixed for the life of a database: a server configured with another count than
 * the database was created with logs a warning and keeps the persisted one (temporalio/temporal
 * v1.32.1 temporal/fx.go). 4 is plenty for one machine.
 */
export const HISTORY_SHARDS = 4;

const store = (database: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "127.0.0.1:{{ env "LAKELOOP_PG_PORT" }}"
        connectProtocol: tcp
        user: ${PG_USER}
        password: "{{ env "LAKELOOP_PG_PASSWORD" }}"
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;

const service = (grpc: string, membership: string, http?: string) =>
  `{rpc: {grpcPort: {{ env "${grpc}" }}, ${http ? `httpPort: {{ env "${http}" }}, ` : ''}membershipPort: {{ env "${membership}" }}, bindOnLocalHost: true}}`;

export const CONFIG_TEMPLATE = `# enable-template
# Written by \`npm run stack -- --cluster\` (scripts/lib/cluster/temporal-config.ts); the values come
# from the server's environment.
log:
  stdout: true
  level: {{ env "LAKELOOP_TEMPORAL_LOG_LEVEL" }}
persistence:
  defaultStore: pg-default
  visibilityStore: pg-visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    pg-default:${store('temporal', 20)}
    pg-visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend: ${service('LAKELOOP_FE_GRPC', 'LAKELOOP_FE_MEMBERSHIP', 'LAKELOOP_FE_HTTP')}
  history: ${service('LAKELOOP_HISTORY_GRPC', 'LAKELOOP_HISTORY_MEMBERSHIP')}
  matching: ${service('LAKELOOP_MATCHING_GRPC', 'LAKELOOP_MATCHING_MEMBERSHIP')}
  worker: ${service('LAKELOOP_WORKER_GRPC', 'LAKELOOP_WORKER_MEMBERSHIP')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{ env "LAKELOOP_FE_GRPC" }}"
dcRedirectionPolicy:
  policy: noop
`;

export function writeClusterConfig(file: string): void {
  writeFileSync(file, CONFIG_TEMPLATE, { mode: 0o644 });
}

/** The environment the template reads. */
export function clusterEnv(
  ports: ClusterPorts,
  pgPassword: string,
  logLevel: 'info' | 'warn',
): Record<string, string> {
  return {
    LAKELOOP_PG_PORT: String(ports.postgres),
    LAKELOOP_PG_PASSWORD: pgPassword,
    LAKELOOP_TEMPORAL_LOG_LEVEL: logLevel,
    LAKELOOP_FE_GRPC: String(ports.frontendGrpc),
    LAKELOOP_FE_HTTP: String(ports.frontendHttp),
    LAKELOOP_FE_MEMBERSHIP: String(ports.frontendMembership),
    LAKELOOP_HISTORY_GRPC: String(ports.historyGrpc),
    LAKELOOP_HISTORY_MEMBERSHIP: String(ports.historyMembership),
    LAKELOOP_MATCHING_GRPC: String(ports.matchingGrpc),
    LAKELOOP_MATCHING_MEMBERSHIP: String(ports.matchingMembership),
    LAKELOOP_WORKER_GRPC: String(ports.workerGrpc),
    LAKELOOP_WORKER_MEMBERSHIP: String(ports.workerMembership),
  };
}
