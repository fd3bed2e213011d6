/**
 * The simulators' webhook sender: POSTs a world's changes to a URL the way the upstream does —
 * signed over the exact bytes sent, Meta's body with non-ASCII as `\uXXXX` (and `/` as `\/`), as
 * Meta signs it — and, on demand, loses or duplicates deliveries. Meta retries a non-200 (here
 * quickly, a few times); the others send once (UPSTREAM.md §5).
 */
import { createHmac } from 'node:crypto';

export interface DeliveryRecord {
  readonly body: string;
  /** Status of each attempt (0 = no answer). */
  readonly statuses: number[];
  /** Dropped on purpose: never sent. */
  readonly lost: boolean;
}

export interface WebhookSenderOptions {
  readonly url: string;
  /** Headers for the raw body (the signature). */
  readonly sign?: (raw: Buffer) => Record<string, string>;
  /** Waits before each retry after a non-200; empty: no retries. */
  readonly retryDelaysMs?: readonly number[];
  /** Serialises a payload (Meta: `metaJson`). */
  readonly serialize?: (payload: unknown) => string;
}

export class WebhookSender {
  readonly deliveries: DeliveryRecord[] = [];
  private lose = 0;
  private duplicate = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(readonly options: WebhookSenderOptions) {}

  /** The next `n` deliveries are never sent (a lost webhook). */
  loseNext(n = 1): void {
    this.lose += n;
  }

  /** The next `n` deliveries are sent twice. */
  duplicateNext(n = 1): void {
    this.duplicate += n;
  }

  /** Sends in the background; `settled()` waits for every delivery and retry. */
  send(payload: unknown): void {
    const body = (this.options.serialize ?? JSON.stringify)(payload);
    if (this.lose > 0) {
      this.lose -= 1;
      this.deliveries.push({ body, statuses: [], lost: true });
      return;
    }
    const times = this.duplicate > 0 ? 2 : 1;
    if (this.duplicate > 0) this.duplicate -= 1;
    for (let i = 0; i < times; i++) {
      const record: DeliveryRecord = { body, statuses: [], lost: false };
      this.deliveries.push(record);
      const work = this.deliver(record).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(record: DeliveryRecord): Promise<void> {
    const raw = Buffer.from(record.body, 'utf8');
    const delays = this.options.retryDelaysMs ?? [];
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.options.sign?.(raw) },
          body: raw,
          signal: AbortSignal.timeout(10_000),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      record.statuses.push(status);
      if (status === 200 || attempt >= delays.length) return;
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }
}

/** JSON as Meta writes what it signs: non-ASCII as `\uXXXX`, `/` as `\/`. */
export function metaJson(payload: unknown): string {
  return JSON.stringify(payload)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function metaSender(url: string, appSecret: string, options: { retryDelaysMs?: readonly number[] } = {}): WebhookSender {
  return new WebhookSender({
    url,
    serialize: metaJson,
    retryDelaysMs: options.retryDelaysMs ?? [50, 200, 1000],
    sign: (raw) => ({ 'x-hub-signature-256': `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}` }),
  });
}

export function dialog360Sender(url: string, secret: string): WebhookSender {
  return new WebhookSender({ url, sign: (raw) => ({ 'x-360dialog-signature': createHmac('sha256', secret).update(raw).digest('hex') }) });
}

/** 99digital signs nothing: the token is in the URL. */
export function digital99Sender(url: string): WebhookSender {
  return new WebhookSender({ url });
}
