import type { ActionsBlock, ContextBlock, HeaderBlock, HomeView, KnownBlock, SectionBlock } from '@slack/types';
import type { HomeList } from '../../src/commands/home-overview.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import { ACTION_PREFIX, escapeMrkdwn, INPUT_SUFFIX, renderBlocks, truncate } from './render-blocks.ts';

/** action_id prefix of the Home tab's buttons: clicks there run the command and re-publish the tab (actions/home.action.ts). */
export const HOME_ACTION_PREFIX = 'rapport_home:';
/** Slack's limit of blocks in a Home tab view. */
export const HOME_BLOCK_LIMIT = 100;

/**
 * The App Home tab: a heading, the result of the last click made there (if any), then each list of
 * {@link homeOverview} with the usual follow-up buttons, "…and N more" under a capped list, and a
 * hint of what to type. Never more than {@link HOME_BLOCK_LIMIT} blocks.
 */
export function renderHome(
  lists: HomeList[],
  opts: { notice?: Reply; updatedAt: string } = { updatedAt: '' },
): HomeView {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Your follow-ups', emoji: true } } satisfies HeaderBlock,
  ];
  if (opts.notice) {
    const tone = { info: '', success: ':white_check_mark: ', warning: ':warning: ', error: ':x: ' }[
      opts.notice.tone ?? 'info'
    ];
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`${tone}${escapeMrkdwn(opts.notice.text)}`, 3000) },
    } satisfies SectionBlock);
  }
  const footer: ContextBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Updated ${escapeMrkdwn(opts.updatedAt)}. Shortcuts: *New follow-up* anywhere, *Log to CRM* on a message, or \`/crm log\`.`,
      },
    ],
  };
  let counter = 0;
  for (const list of lists) {
    const section: KnownBlock[] = [
      {
        type: 'header',
        text: {
          type: 'plain_text',
          text: truncate(`${list.title} (${list.items.length + list.more})`, 150),
          emoji: true,
        },
      },
    ];
    if (list.items.length === 0)
      section.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(list.empty) }] });
    else {
      for (const item of list.items) {
        // Each follow-up rendered exactly as in a message (one at a time: a message stops at 50 blocks); the reply's text block is not needed here.
        const rendered = renderBlocks({ text: item.title ?? list.title, sections: [item] }).blocks.slice(1);
        for (const block of rendered)
          section.push(block.type === 'actions' ? homeActions(block as ActionsBlock, () => counter++) : block);
      }
      if (list.more > 0) {
        section.push({
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: `…and ${list.more} more: type \`/crm ${list.moreCommand}\` to see them all.` },
          ],
        });
      }
    }
    // Keep a list whole or leave it out with a line saying so, rather than cut a follow-up from its buttons.
    if (blocks.length + section.length + 2 > HOME_BLOCK_LIMIT) {
      blocks.push({
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `${escapeMrkdwn(list.title)}: ${list.items.length + list.more} not shown here; type \`/crm ${list.moreCommand}\`.`,
          },
        ],
      });
      continue;
    }
    blocks.push(...section, { type: 'divider' });
  }
  blocks.push(footer);
  return { type: 'home', blocks: blocks.slice(0, HOME_BLOCK_LIMIT) };
}

/** The same controls with Home-tab action ids, unique across the whole view (a message numbers its own from 0). */
function homeActions(block: ActionsBlock, next: () => number): ActionsBlock {
  return {
    ...block,
    elements: block.elements.map((e) => {
      const id = 'action_id' in e && e.action_id ? e.action_id : '';
      if (!id.startsWith(ACTION_PREFIX)) return e;
      return { ...e, action_id: `${HOME_ACTION_PREFIX}${next()}${id.endsWith(INPUT_SUFFIX) ? INPUT_SUFFIX : ''}` };
    }),
  };
}
