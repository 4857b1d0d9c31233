import type { ActionsBlock, Button } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { HomeList } from '../../../src/commands/home-overview.ts';
import { followUpButtons } from '../../../src/commands/follow-up-view.ts';
import { HOME_BLOCK_LIMIT, renderHome } from '../../../connectors/slack/render-home.ts';

const list = (key: HomeList['key'], count: number, more = 0): HomeList => ({
  key,
  title: key,
  empty: `no ${key}`,
  moreCommand: `followups ${key}`,
  more,
  items: Array.from({ length: count }, (_, i) => ({
    title: `#${i} item`,
    fields: [{ label: 'Due', value: 'today' }],
    buttons: followUpButtons({ number: i, status: key === 'suggestions' ? 'suggested' : 'open' }),
  })),
});

describe('renderHome', () => {
  it('never exceeds 100 blocks: a list that does not fit is named with its count and the command that shows it', () => {
    const view = renderHome([list('overdue', 30, 5), list('today', 30), list('open', 30), list('suggestions', 30)], {
      updatedAt: 'now',
    });
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_BLOCK_LIMIT);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('overdue (35)');
    expect(text).toContain('and 5 more');
    expect(text).toMatch(/today: 30 not shown here; type `\/crm followups today`/);
    // Every follow-up that is shown keeps its buttons next to it.
    const actions = view.blocks.filter((b): b is ActionsBlock => b.type === 'actions');
    expect(actions).toHaveLength(30);
  });

  it('gives every control a Home action id, unique in the view, keeping the input marker', () => {
    const view = renderHome([list('overdue', 2), list('suggestions', 2)], {
      updatedAt: 'now',
      notice: { tone: 'success', text: '#1 done.' },
    });
    const controls = view.blocks
      .filter((b): b is ActionsBlock => b.type === 'actions')
      .flatMap((b) => b.elements as Button[]);
    const ids = controls.map((c) => c.action_id!);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^rapport_home:\d+(:input)?$/.test(id))).toBe(true);
    expect(controls.find((c) => c.text?.text === 'Reassign…')?.action_id).toMatch(/:input$/);
    expect(JSON.stringify(view.blocks[1])).toContain(':white_check_mark: #1 done.');
  });

  it('says so when a list is empty', () => {
    const view = renderHome([list('today', 0)], { updatedAt: 'now' });
    expect(JSON.stringify(view.blocks)).toContain('no today');
  });
});

describe('input buttons', () => {
  it('get one ellipsis, not two, when the label already has it', () => {
    const view = renderHome([list('overdue', 1)], { updatedAt: 'now' });
    const labels = view.blocks
      .filter((b): b is ActionsBlock => b.type === 'actions')
      .flatMap((b) => b.elements as Button[])
      .map((b) => b.text?.text);
    expect(labels).toContain('Snooze until…');
    expect(labels).toContain('Reassign…');
  });
});
