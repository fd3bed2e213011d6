import { describe, expect, it } from 'vitest';
import { readUsage } from '../../../src/sources/meta/usage.js';

describe('meta: usage headers', () => {
  it('names each percentage, taking the highest over business objects and use-case types', () => {
    const usage = readUsage({
      'x-app-usage': JSON.stringify({ call_count: 12, total_cputime: 3, total_time: '7' }),
      'x-business-use-case-usage': JSON.stringify({
        '111': [
          { type: 'whatsapp_business_management', call_count: 40, total_cputime: 90, total_time: 5, estimated_time_to_regain_access: 0 },
          { type: 'messenger', call_count: 55, total_cputime: 1, total_time: 1 },
        ],
        '222': [{ type: 'whatsapp_business_management', call_count: 20, total_cputime: 2, total_time: 60, estimated_time_to_regain_access: 4 }],
      }),
    });
    expect(usage.metrics).toEqual({
      app_call_count: 12,
      app_total_cputime: 3,
      app_total_time: 7,
      buc_call_count: 55,
      buc_total_cputime: 90,
      buc_total_time: 60,
    });
    expect(usage.percent).toBe(90);
    expect(usage.regainMs).toBe(4 * 60_000);
  });

  it('reports nothing for absent or unreadable headers, and ignores values that are not numbers', () => {
    expect(readUsage({}).metrics).toEqual({});
    expect(readUsage({ 'x-app-usage': 'not json' }).metrics).toEqual({});
    expect(readUsage({ 'x-app-usage': JSON.stringify({ call_count: null, total_time: 'n/a', total_cputime: 4 }) }).metrics).toEqual({ app_total_cputime: 4 });
  });
});
