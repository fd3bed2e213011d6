import { describe, expect, it } from 'vitest';
import { CELL_MAX_CHARS, VALUE_MAX_CHARS, displayValue, truncate } from '../../src/render/truncate.js';

describe('truncate', () => {
  it('leaves a short value alone and cuts a long one to the limit, ellipsis included', () => {
    expect(truncate('Acme', 10)).toBe('Acme');
    expect(truncate('abcdefghijk', 10)).toBe('abcdefghi…');
    expect(truncate('x'.repeat(5_000_000))).toHaveLength(CELL_MAX_CHARS);
    expect(displayValue('y'.repeat(300))).toHaveLength(VALUE_MAX_CHARS);
    expect(displayValue(null)).toBeNull();
  });

  it('never splits an emoji into half a surrogate pair', () => {
    const cut = truncate(`abcdefgh${'🍕'.repeat(5)}`, 10);
    expect(cut).toBe('abcdefgh…');
    expect(truncate(`abcdefg${'🍕'.repeat(5)}`, 10)).toBe('abcdefg🍕…');
  });
});
