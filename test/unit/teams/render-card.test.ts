import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/commands/reply-model.ts';
import {
  commandFromActionData,
  inertMarkdown,
  renderAdaptiveCard,
  RAPPORT_VERB,
} from '../../../connectors/teams/render-card.ts';
import { adaptiveCardProblems } from '../../helpers/teams-recorder.ts';

type Action = {
  type: string;
  title: string;
  verb?: string;
  data?: Record<string, unknown>;
  style?: string;
  card?: { body: Array<Record<string, unknown>>; actions: Action[] };
};

const followUpCard: Reply = {
  title: 'Suggested follow-up for Acme',
  text: 'Suggested follow-up for Acme: #3 Fix the dashboard, due Fri 14:00.\n> The dashboard keeps crashing',
  fields: [
    { label: 'Customer', value: 'Acme' },
    { label: 'Due', value: 'Fri 14:00' },
  ],
  sections: [
    {
      title: '#3 Fix the dashboard',
      text: 'issue reported',
      fields: [{ label: 'Priority', value: 'high' }],
      buttons: [{ label: 'Open', command: 'lookup acme' }],
    },
  ],
  buttons: [
    { label: 'Accept', command: 'accept 3', style: 'primary' },
    { label: 'Change due', command: 'due 3', input: { placeholder: 'e.g. friday 14:00' } },
    {
      label: 'Snooze',
      command: 'snooze 3',
      choices: [
        { label: '1 hour', command: 'snooze 3 in 1 hour' },
        { label: 'Tomorrow', command: 'snooze 3 tomorrow 9am' },
      ],
    },
    {
      label: 'Change label',
      command: 'label r1',
      choices: ['need', 'feedback', 'purchase', 'churn', 'scheduling', 'other'].map((l) => ({
        label: l,
        command: `label r1 ${l}`,
      })),
    },
    { label: 'Erase', command: 'forget acme --yes', style: 'danger', confirm: 'This deletes everything about Acme.' },
  ],
  footer: 'Updated by jo',
  tone: 'info',
  visibility: 'channel',
};

describe('renderAdaptiveCard', () => {
  it('renders a full reply as a valid Adaptive Card 1.5 with title, facts, a container per section and footer', () => {
    const card = renderAdaptiveCard(followUpCard);
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(card.version).toBe('1.5');
    const body = card.body as Array<Record<string, unknown>>;
    expect(body[0]).toMatchObject({ type: 'TextBlock', text: 'Suggested follow-up for Acme', weight: 'Bolder' });
    expect(body[1].text).toContain('\n\n\\> The dashboard keeps crashing');
    expect(body[2]).toEqual({
      type: 'FactSet',
      facts: [
        { title: 'Customer', value: 'Acme' },
        { title: 'Due', value: 'Fri 14:00' },
      ],
    });
    const section = body[3] as { type: string; items: Array<Record<string, unknown>> };
    expect(section.type).toBe('Container');
    expect(section.items.map((i) => i.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet', 'ActionSet']);
    expect(body[4]).toMatchObject({ text: 'Updated by jo', isSubtle: true });
    expect(card.fallbackText).toBe(followUpCard.text);
  });

  it('turns a plain button into Action.Execute carrying the command, primary/danger into positive/destructive', () => {
    const actions = renderAdaptiveCard(followUpCard).actions as Action[];
    expect(actions[0]).toEqual({
      type: 'Action.Execute',
      title: 'Accept',
      verb: RAPPORT_VERB,
      data: { rapport: 'accept 3' },
      style: 'positive',
    });
    expect(commandFromActionData(actions[0].data)).toBe('accept 3');
  });

  it('asks for free text in a ShowCard and appends what was typed to the command', () => {
    const change = (renderAdaptiveCard(followUpCard).actions as Action[])[1];
    expect(change.type).toBe('Action.ShowCard');
    const input = change.card!.body[0] as { type: string; id: string; placeholder: string };
    expect(input).toMatchObject({ type: 'Input.Text', placeholder: 'e.g. friday 14:00', isRequired: true });
    const submit = change.card!.actions[0];
    // Teams merges the input values into the action data when the button is clicked.
    expect(commandFromActionData({ ...submit.data, [input.id]: '  next monday 10:00 ' })).toBe(
      'due 3 next monday 10:00',
    );
    expect(commandFromActionData(submit.data)).toBe('due 3');
  });

  it('shows a few choices as buttons and many as a dropdown whose value is the command', () => {
    const [, , snooze, label] = renderAdaptiveCard(followUpCard).actions as Action[];
    expect(snooze.card!.actions.map((a) => [a.title, commandFromActionData(a.data)])).toEqual([
      ['1 hour', 'snooze 3 in 1 hour'],
      ['Tomorrow', 'snooze 3 tomorrow 9am'],
    ]);
    const dropdown = label.card!.body[0] as {
      type: string;
      id: string;
      choices: Array<{ title: string; value: string }>;
    };
    expect(dropdown.type).toBe('Input.ChoiceSet');
    expect(dropdown.choices).toHaveLength(6);
    expect(commandFromActionData({ ...label.card!.actions[0].data, [dropdown.id]: 'label r1 churn' })).toBe(
      'label r1 churn',
    );
  });

  it('asks for confirmation before a button with confirm runs', () => {
    const erase = (renderAdaptiveCard(followUpCard).actions as Action[])[4];
    expect(erase.type).toBe('Action.ShowCard');
    expect(erase.card!.body[0]).toMatchObject({ type: 'TextBlock', text: 'This deletes everything about Acme.' });
    expect(erase.card!.actions[0]).toMatchObject({
      title: 'Yes, erase',
      style: 'destructive',
      data: { rapport: 'forget acme --yes' },
    });
  });

  it('gives every input a unique id across sections and buttons (duplicate ids make a card invalid)', () => {
    const withInput = { label: 'Reassign', command: 'assign 1', input: { placeholder: '@rep' } };
    const reply: Reply = {
      text: 'two lists',
      sections: [
        { title: 'a', buttons: [withInput] },
        { title: 'b', buttons: [withInput] },
      ],
      buttons: [withInput],
    };
    const card = renderAdaptiveCard(reply);
    expect(adaptiveCardProblems(card)).toEqual([]);
    const ids = JSON.stringify(card).match(/rapport-input-\d+/g)!;
    expect(new Set(ids).size).toBe(3);
  });

  it('renders minimal, error and empty-section replies validly', () => {
    for (const reply of [
      { text: 'ok' },
      { text: 'No customer matches "acme".', tone: 'error' },
      { text: 'x', sections: [{}] },
    ] satisfies Reply[]) {
      const card = renderAdaptiveCard(reply);
      expect(adaptiveCardProblems(card)).toEqual([]);
    }
    expect(renderAdaptiveCard({ text: 'bad', tone: 'error' }).body[0]).toMatchObject({ color: 'Attention' });
    expect(renderAdaptiveCard({ text: 'x', sections: [{}] }).body).toHaveLength(1);
  });

  it('puts buttons beyond five behind a "More" ShowCard, in reply and section rows', () => {
    const buttons = Array.from({ length: 7 }, (_, i) => ({ label: `B${i}`, command: `cmd ${i}` }));
    const card = renderAdaptiveCard({ text: 'many', buttons, sections: [{ title: 's', buttons }] });
    expect(adaptiveCardProblems(card)).toEqual([]);
    const actions = card.actions as Action[];
    expect(actions.map((a) => a.title)).toEqual(['B0', 'B1', 'B2', 'B3', 'More…']);
    expect(actions[4].card!.actions.map((a) => commandFromActionData(a.data))).toEqual(['cmd 4', 'cmd 5', 'cmd 6']);
  });

  it('rejects action data that is not a Rapport command', () => {
    expect(commandFromActionData(undefined)).toBeUndefined();
    expect(commandFromActionData({ other: 'x' })).toBeUndefined();
    expect(commandFromActionData({ rapport: '  ' })).toBeUndefined();
    expect(commandFromActionData({ rapport: '', rapportChoice: 'x' })).toBeUndefined();
  });

  it('the card validator catches broken cards (so the checks above can fail)', () => {
    expect(adaptiveCardProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Bogus' }] })).not.toEqual([]);
    const dup = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'Input.Text', id: 'a' },
        { type: 'Input.Text', id: 'a' },
      ],
    };
    expect(adaptiveCardProblems(dup)).not.toEqual([]);
  });
});

describe('inertMarkdown', () => {
  it('shows customer text literally: no links, emphasis, headings or lists', () => {
    expect(inertMarkdown('[click](http://evil) *now* _x_ `code`')).toBe(
      '\\[click\\](http://evil) \\*now\\* \\_x\\_ \\`code\\`',
    );
    expect(inertMarkdown('# big\n- item\n1. first\n> quote')).toBe('\\# big\n\n\\- item\n\n1\\. first\n\n\\> quote');
  });
  it('leaves ordinary text and characters alone (no HTML escaping)', () => {
    expect(inertMarkdown('Tom & Jerry <3 costs 5-10 € (approx.)')).toBe('Tom & Jerry \\<3 costs 5-10 € (approx.)');
  });

  // Issue 20: reminders call on the assignee, and times show in each viewer's own timezone.
  it('mentions a person with a Teams id as <at>name</at> with its entity, and shows times with DATE()/TIME()', () => {
    const card = renderAdaptiveCard({
      title: 'Reminder: follow up with Acme',
      text: 'Reminder: follow up with Acme: #7 Send the quote, due Wed 2 Dec, 09:00. @Jo Smith',
      fields: [
        { label: 'Customer', value: 'Acme' },
        { label: 'Due', value: 'Wed 2 Dec, 09:00 (overdue)', at: '2026-12-02T09:00:00.000Z' },
      ],
      mentions: [{ name: 'Jo Smith', platformUserIds: ['console:jo', 'teams:00000000-0000-4000-8000-0000000000aa'] }],
      visibility: 'channel',
    });
    expect(adaptiveCardProblems(card)).toEqual([]);
    const body = card.body as Array<Record<string, unknown>>;
    expect(body[1].text).toMatch(/<at>Jo Smith<\/at>$/);
    expect(card.msteams).toEqual({
      entities: [
        {
          type: 'mention',
          text: '<at>Jo Smith</at>',
          mentioned: { id: '00000000-0000-4000-8000-0000000000aa', name: 'Jo Smith' },
        },
      ],
    });
    expect(body[2]).toEqual({ type: 'FactSet', facts: [{ title: 'Customer', value: 'Acme' }] });
    expect(body[3]).toMatchObject({
      type: 'TextBlock',
      text: 'Due: {{DATE(2026-12-02T09:00:00Z, SHORT)}} {{TIME(2026-12-02T09:00:00Z)}} (overdue)',
    });
    // Nobody with a Teams id: the name stays text and no entity is sent.
    const plain = renderAdaptiveCard({ text: 'Hi @Jo', mentions: [{ name: 'Jo', platformUserIds: ['slack:T1/U1'] }] });
    expect(plain.msteams).toBeUndefined();
  });
});
