import { describe, expect, it } from 'vitest';
import { takesWordsOut } from '../../../src/domain/words-taken-out.ts';

// Whether a chat edit took words back from a correction's training text (editChatMessage).
describe('takesWordsOut', () => {
  it('says an edit that drops or changes a word takes it out', () => {
    expect(takesWordsOut('The zorbl budget went to your rival', 'The budget went to your rival')).toBe(true);
    expect(takesWordsOut('we will cancel', 'we cancelled')).toBe(true);
    expect(takesWordsOut('Order 500 seats', 'Order 400 seats')).toBe(true);
    expect(takesWordsOut('预算被砍了，取消续约', '预算被砍了')).toBe(true);
  });

  it('says an edit that only adds, moves, re-cases or re-punctuates words takes nothing out', () => {
    expect(takesWordsOut('cancel the order', 'Please cancel the whole order')).toBe(false);
    expect(takesWordsOut('BUDGET is cut!!', 'budget, is cut')).toBe(false);
    expect(takesWordsOut('seats order 🎉', 'order seats')).toBe(false);
    expect(takesWordsOut('ＦＵＬＬ width', 'full width')).toBe(false);
    expect(takesWordsOut('', 'anything')).toBe(false);
  });
});
