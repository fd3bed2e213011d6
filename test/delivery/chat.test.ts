/**
 * Chat messages: one per important event, a summary when many arrive within a minute, nothing for
 * unimportant changes, and upstream strings inert (valid JSON, no mention, no forged link).
 */
import { describe, expect, it } from 'vitest';
import { escapeMrkdwn } from '../../src/delivery/chat.js';
import { deliveryHarness } from '../helpers/delivery.js';
import { startReceiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';

const texts = (received: { body: string }[]) => received.map((r) => (JSON.parse(r.body) as { text: string }).text);

describe('chat messages', () => {
  it('posts important events one by one, summarises a burst within the minute, and skips the rest', async () => {
    const chat = await startReceiver();
    const h = await deliveryHarness({ CHAT_WEBHOOK_URL: chat.url });
    const dispatcher = h.dispatcher();
    await h.writeEvents([
      { type: 'waba.shared', key: 'w1', after: { id: 'w1', name: 'First' } },
      { type: 'waba.changed', key: 'w1', changes: { name: { from: 'a', to: 'b' } } },
      { type: 'phone_number.quality_changed', key: 'p1', changes: { quality_rating: { from: 'RED', to: 'GREEN' } } },
      { type: 'phone_number.quality_changed', key: 'p2', changes: { quality_rating: { from: 'GREEN', to: 'YELLOW' } } },
    ]);
    await dispatcher.runOnce();
    // The share and the quality drop; not the rename, not the recovery.
    expect(texts(chat.received)).toHaveLength(2);
    expect(texts(chat.received)[0]).toContain('waba.shared');
    expect(texts(chat.received)[1]).toMatch(/phone_number\.quality_changed.*GREEN → YELLOW/);

    // A burst: the minute's allowance has one message left, so it all goes as one summary.
    await h.writeEvents(Array.from({ length: 12 }, (_, i) => ({ type: 'waba.unshared', key: `w${i}` })));
    await dispatcher.runOnce();
    expect(texts(chat.received)).toHaveLength(3);
    expect(texts(chat.received)[2]).toMatch(/^\*12 important events\*: 12 × `waba.unshared`/);
    expect(texts(chat.received)[2]).toContain('… and 2 more');

    // The minute's messages are used up: the next waits, then goes.
    await h.writeEvents([{ type: 'waba.shared', key: 'w99' }]);
    await dispatcher.runOnce();
    expect(chat.received).toHaveLength(3);
    h.clock.advance(61_000);
    await dispatcher.runOnce();
    expect(chat.received).toHaveLength(4);
  });

  it('a message the chat refuses is posted again alone: the ones before it are not repeated, and none after it overtakes it', async () => {
    const chat = await startReceiver();
    const h = await deliveryHarness({ CHAT_WEBHOOK_URL: chat.url });
    const dispatcher = h.dispatcher();
    let refuse = true;
    chat.answer = (request) => (refuse && request.body.includes('Second') ? { status: 500, body: 'oops' } : { status: 200 });
    await h.writeEvents([
      { type: 'waba.shared', key: 'w1', after: { id: 'w1', name: 'First' } },
      { type: 'waba.shared', key: 'w2', after: { id: 'w2', name: 'Second' } },
      { type: 'waba.shared', key: 'w3', after: { id: 'w3', name: 'Third' } },
    ]);
    await dispatcher.runOnce();
    expect(texts(chat.received).map((text) => text.match(/First|Second|Third/)?.[0])).toEqual(['First', 'Second']);
    refuse = false;
    h.clock.advance(61_000);
    await dispatcher.runOnce();
    expect(texts(chat.received).map((text) => text.match(/First|Second|Third/)?.[0])).toEqual(['First', 'Second', 'Second', 'Third']);
  });

  it('a message the chat refuses (400) backs off alone: the events after it still go out', async () => {
    const chat = await startReceiver();
    const h = await deliveryHarness({ CHAT_WEBHOOK_URL: chat.url });
    const dispatcher = h.dispatcher();
    chat.answer = (request) => (request.body.includes('Second') ? { status: 400, body: 'invalid_payload' } : { status: 200 });
    await h.writeEvents([
      { type: 'waba.shared', key: 'w1', after: { id: 'w1', name: 'First' } },
      { type: 'waba.shared', key: 'w2', after: { id: 'w2', name: 'Second' } },
      { type: 'waba.shared', key: 'w3', after: { id: 'w3', name: 'Third' } },
    ]);
    dispatcher.wake();
    await until(() => texts(chat.received).some((text) => text.includes('Third')), 'the event after the refused one');
    h.clock.advance(61_000);
    await h.writeEvents([{ type: 'waba.shared', key: 'w4', after: { id: 'w4', name: 'Fourth' } }]);
    dispatcher.wake();
    await until(() => texts(chat.received).some((text) => text.includes('Fourth')), 'a later event');
  });

  it('two daemons: while one waits to post an event again, the other posts nothing newer about that WABA before it', async () => {
    const chat = await startReceiver();
    const h = await deliveryHarness({ CHAT_WEBHOOK_URL: chat.url });
    const a = h.dispatcher({ holder: 'daemon-a' });
    const b = h.dispatcher({ holder: 'daemon-b' });
    let down = true;
    chat.answer = () => (down ? { status: 503, body: 'down' } : { status: 200 });
    await h.writeEvents([{ type: 'waba.shared', key: 'w1', after: { id: 'w1', name: 'First' } }]);
    await a.runOnce();
    down = false;
    await h.writeEvents([{ type: 'waba.unshared', key: 'w1', after: { id: 'w1', name: 'Second' } }]);
    await b.runOnce();
    expect(chat.received).toHaveLength(1);
    h.clock.advance(61_000);
    await b.runOnce();
    expect(texts(chat.received).map((text) => text.match(/First|Second/)?.[0])).toEqual(['First', 'First', 'Second']);
  });

  it('a burst about one WABA goes as one summary, and an account update says what happened', async () => {
    const chat = await startReceiver();
    const h = await deliveryHarness({ CHAT_WEBHOOK_URL: chat.url });
    const dispatcher = h.dispatcher();
    await h.writeEvents([{ type: 'waba.account_update', key: '1234567890', after: { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE' } } }]);
    await dispatcher.runOnce();
    expect(texts(chat.received)).toHaveLength(1);
    expect(texts(chat.received)[0]).toMatch(/waba\.account_update.*1234567890.*DISABLED_UPDATE.*DISABLE/);
    h.clock.advance(61_000);
    await h.writeEvents(Array.from({ length: 12 }, (_, i) => ({ type: 'waba.account_update', key: '1234567890', after: { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: `V${i}` } } })));
    await dispatcher.runOnce();
    expect(texts(chat.received)).toHaveLength(2);
    expect(texts(chat.received)[1]).toMatch(/^\*12 important events\*: 12 × `waba.account_update`/);
  });

  it('makes upstream text inert mrkdwn', () => {
    expect(escapeMrkdwn('<!channel> <https://x.example|click> & @here\u001b[31m\n')).toBe('&lt;!channel&gt; &lt;https://x.example|click&gt; &amp; @\u2060here ');
  });
});
