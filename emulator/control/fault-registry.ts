/**
 * Injected faults, set through POST /__emulator/faults.
 *
 * HTTP faults match a method (or any) and a path. A path with a version prefix ("/api/2.1/jobs/runs/get")
 * matches exactly; one without ("/jobs/runs/get", or "/api/*\/jobs/runs/get") matches under every API
 * version. A fault fires with `probability` (default 1) while its `count` lasts (default: forever);
 * the first matching fault that fires wins. What it does:
 *  - `status`: answer with a Databricks-shaped error (and Retry-After when retryAfterSeconds is set);
 *  - `latencyMs`: wait first (alone: then serve normally);
 *  - `dropResponse`: do the work, then destroy the socket without answering — the "lost response".
 *
 * Webhook faults act on deliveries: `drop` never sends, `duplicate` sends twice, `delay` waits delayMs.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RandomSource } from '../random.js';

const common = {
  probability: z.number().min(0).max(1).optional(),
  count: z.number().int().min(1).optional(),
};

export const httpFaultSchema = z
  .strictObject({
    method: z.string().optional(),
    path: z.string().min(1),
    status: z.number().int().min(400).max(599).optional(),
    errorCode: z.string().optional(),
    message: z.string().optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    latencyMs: z
      .number()
      .int()
      .min(0)
      .max(10 * 60 * 1000)
      .optional(),
    dropResponse: z.boolean().optional(),
    ...common,
  })
  .refine((f) => f.status !== undefined || f.latencyMs !== undefined || f.dropResponse === true, {
    message: 'a fault needs status, latencyMs or dropResponse',
  })
  .refine((f) => !(f.status !== undefined && f.dropResponse), {
    message: 'status and dropResponse exclude each other',
  });
export type HttpFaultInput = z.infer<typeof httpFaultSchema>;

export const webhookFaultSchema = z.strictObject({
  webhook: z.enum(['drop', 'duplicate', 'delay']),
  delayMs: z
    .number()
    .int()
    .min(0)
    .max(10 * 60 * 1000)
    .optional(),
  destinationId: z.string().optional(),
  ...common,
});
export type WebhookFaultInput = z.infer<typeof webhookFaultSchema>;

export type HttpFault = HttpFaultInput & { id: string; fired: number };
export type WebhookFault = WebhookFaultInput & { id: string; fired: number };

const VERSION_PREFIX = /^\/api\/(?:\d+\.\d+|\*)(?=\/)/;

function pathMatches(pattern: string, path: string): boolean {
  if (pattern === path) return true;
  if (/^\/api\/\d+\.\d+\//.test(pattern)) return false;
  return pattern.replace(VERSION_PREFIX, '') === path.replace(VERSION_PREFIX, '');
}

export class FaultRegistry {
  private http: HttpFault[] = [];
  private webhook: WebhookFault[] = [];

  constructor(private readonly random: RandomSource) {}

  addHttp(input: HttpFaultInput): HttpFault {
    const fault: HttpFault = { ...input, id: randomUUID(), fired: 0 };
    this.http.push(fault);
    return fault;
  }

  addWebhook(input: WebhookFaultInput): WebhookFault {
    const fault: WebhookFault = { ...input, id: randomUUID(), fired: 0 };
    this.webhook.push(fault);
    return fault;
  }

  list(): { http: HttpFault[]; webhook: WebhookFault[] } {
    return { http: [...this.http], webhook: [...this.webhook] };
  }

  clear(): void {
    this.http = [];
    this.webhook = [];
  }

  /** The HTTP fault to apply to this request, if any fires. */
  matchHttp(method: string, path: string): HttpFault | undefined {
    const fault = this.http.find(
      (f) =>
        (f.method === undefined || f.method === '*' || f.method.toUpperCase() === method) &&
        pathMatches(f.path, path) &&
        this.fires(f),
    );
    if (fault) this.consume(fault, this.http);
    return fault;
  }

  /** The webhook fault to apply to a delivery to `destinationId`, if any fires. */
  matchWebhook(destinationId: string): WebhookFault | undefined {
    const fault = this.webhook.find(
      (f) => (f.destinationId === undefined || f.destinationId === destinationId) && this.fires(f),
    );
    if (fault) this.consume(fault, this.webhook);
    return fault;
  }

  private fires(fault: { probability?: number }): boolean {
    return fault.probability === undefined || this.random() < fault.probability;
  }

  private consume<T extends { fired: number; count?: number }>(fault: T, list: T[]): void {
    fault.fired++;
    if (fault.count !== undefined && fault.fired >= fault.count) list.splice(list.indexOf(fault), 1);
  }
}
