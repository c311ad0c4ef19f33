/** `lakeloop schedule create|list|describe|update|pause|unpause|trigger|backfill|delete`. */
import { parse, UsageError, withClient } from '../cli-support.js';
import {
  createSchedule,
  describeSchedule,
  overlapPolicy,
  readPipelineFile,
  scheduleSpec,
  updateSchedule,
} from './pipelines.js';

const SCHEDULE_FLAGS = {
  pipeline: { type: 'string' },
  cron: { type: 'string' },
  every: { type: 'string' },
  overlap: { type: 'string' },
  'catchup-window': { type: 'string' },
  'pause-on-failure': { type: 'boolean' },
  note: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export async function scheduleCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, SCHEDULE_FLAGS, sub === 'list' ? 0 : 1);
  const name = positionals[0]!;
  const flags = {
    cron: values.cron,
    every: values.every,
    overlap: values.overlap,
    catchupWindow: values['catchup-window'],
    pauseOnFailure: values['pause-on-failure'],
  };
  // Validate files and flags before connecting, so bad input never waits on the network.
  const pipeline = values.pipeline ? readPipelineFile(values.pipeline, '--pipeline') : undefined;
  if (sub === 'create') {
    if (!pipeline) throw new UsageError('--pipeline FILE is required');
    scheduleSpec(flags);
    overlapPolicy(flags.overlap);
  }
  await withClient(async (lakeloop) => {
    const handle = () => lakeloop.client.schedule.getHandle(name);
    switch (sub) {
      case 'create':
        await createSchedule(lakeloop, name, pipeline!, flags);
        return console.log(`schedule ${name} created`);
      case 'update':
        await updateSchedule(lakeloop, name, { ...flags, ...(pipeline ? { pipeline } : {}) });
        return console.log(`schedule ${name} updated`);
      case 'describe':
        return console.log(
          JSON.stringify(describeSchedule(name, await handle().describe()), null, values.json ? 0 : 2),
        );
      case 'list': {
        const rows = [];
        for await (const s of lakeloop.client.schedule.list()) {
          rows.push({
            schedule: s.scheduleId,
            paused: s.state.paused,
            next: s.info.nextActionTimes[0]?.toISOString(),
          });
        }
        if (values.json) return console.log(JSON.stringify(rows));
        if (rows.length === 0)
          return console.log(
            'no schedules: create one with `lakeloop schedule create NAME --pipeline FILE …`',
          );
        return console.log(
          rows
            .map((r) => `${r.schedule}  ${r.paused ? 'paused' : 'active'}  next ${r.next ?? '-'}`)
            .join('\n'),
        );
      }
      case 'pause':
        await handle().pause(values.note ?? 'paused with lakeloop');
        return console.log(`schedule ${name} paused`);
      case 'unpause':
        await handle().unpause(values.note ?? 'unpaused with lakeloop');
        return console.log(`schedule ${name} unpaused`);
      case 'trigger':
        await handle().trigger();
        return console.log(`schedule ${name} triggered`);
      case 'backfill': {
        const start = new Date(values.from ?? '');
        const end = new Date(values.to ?? '');
        if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
          throw new UsageError(
            '--from and --to: expected ISO times with --from before --to, e.g. 2026-11-01T00:00:00Z',
          );
        }
        await handle().backfill({ start, end, overlap: 'ALLOW_ALL' });
        return console.log(`schedule ${name} backfilled from ${start.toISOString()} to ${end.toISOString()}`);
      }
      case 'delete':
        await handle().delete();
        return console.log(`schedule ${name} deleted`);
      default:
        throw new UsageError(`unknown schedule command "${sub ?? ''}"`);
    }
  });
}
