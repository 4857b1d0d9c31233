import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import type { Reply } from '../../../src/commands/reply-model.ts';
import {
  escapeMrkdwn,
  INPUT_SUFFIX,
  renderBlocks,
  renderInputModal,
  SLACK_LIMITS,
} from '../../../connectors/slack/render-blocks.ts';

/** Checks what Slack would reject: block count, fields, elements, text and value lengths, unique action ids. */
function assertWithinSlackLimits(blocks: KnownBlock[]): void {
  expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  const actionIds = new Set<string>();
  for (const b of blocks) {
    expect(['header', 'section', 'actions', 'context']).toContain(b.type);
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (b.type === 'section') {
      expect(b.text || b.fields).toBeTruthy();
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(b.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    if (b.type === 'actions') {
      expect(b.elements.length).toBeGreaterThan(0);
      expect(b.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.elementsPerActions);
      for (const e of b.elements) {
        expect(e.action_id).toMatch(/^rapport:\d+(:input)?$/);
        expect(actionIds.has(e.action_id!)).toBe(false);
        actionIds.add(e.action_id!);
        if (e.type === 'button') {
          expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
          expect(e.value!.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
        } else if (e.type === 'static_select') {
          expect(e.options!.length).toBeGreaterThan(0);
          for (const o of e.options!) expect(o.value!.length).toBeLessThanOrEqual(SLACK_LIMITS.optionValue);
        } else throw new Error(`unexpected element ${e.type}`);
      }
    }
  }
}

const card: Reply = {
  title: '#12 Follow up with acme',
  text: 'Suggested follow-up for acme',
  tone: 'warning',
  fields: [
    { label: 'Customer', value: 'acme' },
    { label: 'Due', value: 'Fri 14:00' },
  ],
  buttons: [
    { label: 'Accept', command: 'accept 12', style: 'primary' },
    { label: 'Change due', command: 'due 12', input: { placeholder: 'e.g. friday 14:00' } },
    { label: 'Dismiss', command: 'dismiss 12', style: 'danger', confirm: 'Dismiss this follow-up?' },
    {
      label: 'Change label',
      command: 'label r1',
      choices: [
        { label: 'need', command: 'label r1 need' },
        { label: 'churn', command: 'label r1 churn' },
      ],
    },
  ],
  footer: 'Updated by Jo',
  visibility: 'channel',
};

describe('renderBlocks', () => {
  it('renders a follow-up card as header, text, fields, actions and footer, each control carrying its command', () => {
    const { text, blocks } = renderBlocks(card);
    assertWithinSlackLimits(blocks);
    expect(text).toBe('Suggested follow-up for acme');
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions', 'context']);
    expect(blocks[1]).toMatchObject({ text: { type: 'mrkdwn', text: ':warning: Suggested follow-up for acme' } });
    expect(blocks[2]).toMatchObject({ fields: [{ text: '*Customer*\nacme' }, { text: '*Due*\nFri 14:00' }] });
    const actions = blocks[3];
    if (actions.type !== 'actions') throw new Error('expected actions');
    const [accept, due, dismiss, label] = actions.elements;
    expect(accept).toMatchObject({
      type: 'button',
      action_id: 'rapport:0',
      value: 'accept 12',
      style: 'primary',
      text: { text: 'Accept' },
    });
    expect(due).toMatchObject({
      type: 'button',
      action_id: `rapport:1${INPUT_SUFFIX}`,
      value: 'due 12',
      accessibility_label: 'Change due: e.g. friday 14:00',
    });
    expect(dismiss).toMatchObject({
      action_id: 'rapport:2',
      style: 'danger',
      confirm: { text: { text: 'Dismiss this follow-up?' }, style: 'danger', deny: { text: 'Cancel' } },
    });
    expect(label).toMatchObject({
      type: 'static_select',
      action_id: 'rapport:3',
      placeholder: { text: 'Change label' },
      options: [
        { text: { text: 'need' }, value: 'label r1 need' },
        { text: { text: 'churn' }, value: 'label r1 churn' },
      ],
    });
    expect(blocks[4]).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Updated by Jo' }] });
  });

  it('escapes &, < and > in mrkdwn so customer text cannot mention @channel or forge links', () => {
    expect(escapeMrkdwn('a <!channel> & <http://x|y>')).toBe('a &lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    const { blocks } = renderBlocks({
      text: 'Tom & Jerry <!here>',
      fields: [{ label: 'A<b>', value: 'x>y' }],
      sections: [{ title: 'T&C', text: '<@U1>' }],
    });
    const json = JSON.stringify(blocks);
    expect(json).not.toContain('<!here>');
    expect(json).not.toContain('<@U1>');
    expect(json).toContain('Tom &amp; Jerry &lt;!here&gt;');
    expect(json).toContain('*A&lt;b&gt;*\\nx&gt;y');
    expect(json).toContain('*T&amp;C*\\n&lt;@U1&gt;');
  });

  it('keeps every limit on a very large reply: 50 blocks, 10 fields per section, 25 elements per actions, long texts cut', () => {
    const many: Reply = {
      title: 'x'.repeat(500),
      text: '&'.repeat(5000),
      fields: Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: 'v'.repeat(3000) })),
      buttons: Array.from({ length: 30 }, (_, i) => ({ label: 'b'.repeat(100), command: `done ${i}` })),
      sections: Array.from({ length: 40 }, (_, i) => ({
        title: `#${i}`,
        text: 'item',
        fields: [{ label: 'Due', value: 'today' }],
        buttons: [{ label: 'Done', command: `done ${i}` }],
      })),
      footer: 'end',
    };
    const { text, blocks } = renderBlocks(many);
    assertWithinSlackLimits(blocks);
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    expect(blocks).toHaveLength(50);
    // fields 23 -> sections of 10, 10, 3; buttons 30 -> actions of 25 and 5
    expect(blocks.slice(2, 5).map((b) => (b.type === 'section' ? b.fields?.length : 0))).toEqual([10, 10, 3]);
    expect(blocks.slice(5, 7).map((b) => (b.type === 'actions' ? b.elements.length : 0))).toEqual([25, 5]);
    const last = blocks[49];
    expect(last.type === 'context' && last.elements[0].type === 'mrkdwn' && last.elements[0].text).toMatch(
      /more parts not shown/,
    );
  });

  it('leaves out a control whose command does not fit rather than cutting the command', () => {
    const { blocks } = renderBlocks({
      text: 't',
      buttons: [
        { label: 'too long', command: `log acme "${'x'.repeat(2100)}"` },
        { label: 'ok', command: 'help' },
        { label: 'menu', command: 'm', choices: [{ label: 'long', command: 'y'.repeat(151) }] },
      ],
    });
    assertWithinSlackLimits(blocks);
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.type === 'actions' && actions.elements.map((e) => e.action_id)).toEqual(['rapport:1']);
  });

  it('renders a plain reply without empty blocks', () => {
    const { blocks } = renderBlocks({ text: 'No follow-ups.', sections: [{}], buttons: [] });
    expect(blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'No follow-ups.' } }]);
  });
});

describe('renderInputModal', () => {
  it('asks for one line of text and carries the command to the submission', () => {
    const view = renderInputModal({
      title: 'Change due for a very long follow-up',
      placeholder: 'e.g. friday',
      state: { command: 'due 12', teamId: 'T1', channelId: 'C1' },
    });
    expect(view.callback_id).toBe('rapport:input');
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(JSON.parse(view.private_metadata!)).toEqual({ command: 'due 12', teamId: 'T1', channelId: 'C1' });
    expect(view.blocks[0]).toMatchObject({
      type: 'input',
      block_id: 'input',
      element: { type: 'plain_text_input', action_id: 'value', placeholder: { text: 'e.g. friday' } },
    });
  });

  // Issue 20: people are called on, and times show in each viewer's own timezone.
  it("turns @name of a mentioned person into <@U…> of the target's workspace, and times into date tokens", () => {
    const reply: Reply = {
      text: 'Reminder: follow up with Acme: #7 Send the quote, due Wed 2 Dec, 09:00. @Jo <Smith>',
      fields: [{ label: 'Due', value: 'Wed 2 Dec, 09:00 (overdue)', at: '2026-12-02T09:00:00.000Z' }],
      mentions: [{ name: 'Jo <Smith>', platformUserIds: ['slack:T9/U0OTHER', 'slack:T1/U0JO', 'teams:aad-jo'] }],
    };
    const { text, blocks } = renderBlocks(reply, { teamId: 'T1' });
    assertWithinSlackLimits(blocks);
    expect(text).toMatch(/<@U0JO>$/);
    const section = blocks[0] as { text: { text: string } };
    expect(section.text.text).toMatch(/<@U0JO>$/);
    expect(JSON.stringify(blocks)).not.toContain('U0OTHER');
    const field = (blocks[1] as { fields: Array<{ text: string }> }).fields[0].text;
    expect(field).toBe(
      `*Due*\n<!date^${Date.parse('2026-12-02T09:00:00Z') / 1000}^{date_short_pretty} {time}|Wed 2 Dec, 09:00> (overdue)`,
    );
    // Someone with no id in that workspace stays a plain name.
    expect(renderBlocks(reply, { teamId: 'T5' }).text).toContain('@Jo <Smith>');
  });
});
