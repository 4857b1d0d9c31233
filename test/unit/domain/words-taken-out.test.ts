import { describe, expect, it } from 'vitest';
import { holdsAnyWord, wordsTakenOut } from '../../../src/domain/words-taken-out.ts';

// Which words a chat edit or delete took back (editChatMessage, deleteChatMessage), and whether a
// correction's training text holds one of them (forgetTakenBackWords).
describe('wordsTakenOut', () => {
  it('names the words an edit drops or changes', () => {
    expect(wordsTakenOut('The zorbl budget went to your rival', 'The budget went to your rival')).toEqual(
      new Set(['zorbl']),
    );
    expect(wordsTakenOut('we will cancel', 'we cancelled')).toEqual(new Set(['will', 'cancel']));
    expect(wordsTakenOut('Order 500 seats', 'Order 400 seats')).toEqual(new Set(['500']));
    expect(wordsTakenOut('预算被砍了，取消续约', '预算被砍了').size).toBeGreaterThan(0);
  });

  it('names none when an edit only adds, moves, re-cases or re-punctuates words', () => {
    for (const [before, after] of [
      ['cancel the order', 'Please cancel the whole order'],
      ['BUDGET is cut!!', 'budget, is cut'],
      ['seats order 🎉', 'order seats'],
      ['ＦＵＬＬ width', 'full width'],
      ['', 'anything'],
    ])
      expect(wordsTakenOut(before, after), `${before} -> ${after}`).toEqual(new Set());
  });

  it('names every word of a deleted message', () => {
    expect(wordsTakenOut('Thanks, Ana!')).toEqual(new Set(['thanks', 'ana']));
    expect(wordsTakenOut('👍 !!')).toEqual(new Set());
  });
});

describe('holdsAnyWord', () => {
  const text = 'We need two more seats on the Analytics plan\n\nBy Friday?';

  it('finds a word taken out that the training text holds, whatever its case', () => {
    expect(holdsAnyWord(text, wordsTakenOut('two ANALYTICS seats', 'two seats'))).toBe(true);
    expect(holdsAnyWord(text, wordsTakenOut('by friday', ''))).toBe(true);
  });

  it('finds none when the words taken out were added after the text was taken', () => {
    expect(holdsAnyWord(text, wordsTakenOut('seats, urgently please!', 'seats!'))).toBe(false);
    expect(holdsAnyWord(text, new Set())).toBe(false);
    expect(holdsAnyWord(text, new Set(['analytic']))).toBe(false);
  });
});
