import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { PrismaModelStore } from '../../../src/db/prisma-model-store.ts';
import { correctLabel } from '../../../src/services/correct-label.service.ts';
import { retrainClassifier } from '../../../src/services/retrain-classifier.service.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { eventCallbackBody, messageChangedEvent, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const TEAM = 'T1';
const CHANNEL = 'CDELTRAIN';
const tsOf = (n: number) => `1766100000.${String(n).padStart(6, '0')}`;
const QUESTION = 'Can we get a quote for twenty more licences?';

/**
 * A customer deletes a Slack message (`message_deleted`), or edits words out of it (`message_changed`),
 * in a conversation a rep corrected and a retrain learned: through Bolt and the auto-logger, the
 * correction's training text loses the words and the model that learned them is withdrawn (README,
 * "Erase means erase"); an edit that takes out only words added after the text was taken keeps both.
 */
describe.each(TEST_DATABASE_KINDS)(
  'Slack message_deleted and message_changed on %s: the training text and the models forget the words taken back',
  (kind) => {
    let bot: SlackTestBot | undefined;
    let slack: SlackRecorder;
    let proc: RunningProcess;
    let seq = 0;

    const sendEvent = (event: Record<string, unknown>) =>
      postSignedToSlackEvents(
        proc.url,
        SECRET,
        eventCallbackBody(
          TEAM,
          { type: 'message', channel: CHANNEL, channel_type: 'channel', ...event },
          `EvDelTrain${++seq}`,
        ),
        'application/json',
        {},
      );
    const messageByTs = (ts: string) =>
      proc.runtime.db.prisma.message.findUnique({ where: { externalId: `slack:${TEAM}/${CHANNEL}/${ts}` } });

    beforeAll(async () => {
      bot = await startSlackTestBot({
        database: kind,
        env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/CTEAM` },
        name: 'slack-delete-training',
        beforeStart: (s) => {
          s.users.set('UREPDEL', { profile: { display_name: 'rita', email: 'rita@ours.example' } });
          s.users.set('UGUESTDEL', { is_restricted: true, profile: { display_name: 'lu', email: 'lu@acme.com' } });
        },
        acme: { domains: ['acme.com'] },
      });
      slack = bot.slack;
      proc = bot.test.proc;
      await slackSlashCommand(
        { url: proc.url, slack },
        { teamId: TEAM, channelId: CHANNEL, userId: 'UREPDEL', text: 'link acme' },
      );
    }, 120_000);
    afterAll(async () => {
      await bot?.dispose();
    });

    /**
     * A customer asks in a new thread and regrets it in a reply (`regret`), the conversation is
     * classified, a rep corrects it to churn and a retrain learns `version` from it, active.
     */
    async function correctedAndLearned(regret: string, version: string) {
      const db = proc.runtime.db;
      const store = new PrismaModelStore(db);
      const root = tsOf(++seq);
      await sendEvent({ user: 'UGUESTDEL', team: TEAM, text: QUESTION, ts: root });
      const first = await eventually('the question logged', () => messageByTs(root));
      const reply = tsOf(++seq);
      await sendEvent({ user: 'UGUESTDEL', team: TEAM, text: regret, ts: reply, thread_ts: root });
      expect((await eventually('the reply logged', () => messageByTs(reply))).recordId).toBe(first.recordId);
      // The process's first classification reads the model first: slow on a loaded machine.
      await eventually(
        'the conversation classified',
        () => db.prisma.classification.findFirst({ where: { recordId: first.recordId } }),
        60_000,
      );
      await correctLabel(db, first.recordId, 'churn', { repId: 'rita', platform: 'slack' });
      expect((await retrainClassifier(db, store, { requestedBy: 'cli', version })).status).toMatch(
        /activated|kept-current/,
      );
      await store.activate(version);
      return { db, store, recordId: first.recordId, reply };
    }

    it('takes the deleted words out of the correction and withdraws the model that learned them', async () => {
      const { db, store, recordId, reply } = await correctedAndLearned(
        'Scratch that, the frobnitzer quixotl budget went to your competitor',
        'crm-learned-slack-del',
      );

      await sendEvent({
        subtype: 'message_deleted',
        hidden: true,
        deleted_ts: reply,
        ts: tsOf(++seq),
        previous_message: { type: 'message', user: 'UGUESTDEL', text: 'x', ts: reply },
      });
      await eventually('the message deleted', async () => (await messageByTs(reply)) === null);

      expect(
        await db.prisma.labeledExample.findMany({ where: { recordId }, select: { text: true, label: true } }),
      ).toEqual([{ text: QUESTION, label: 'churn' }]);
      expect((await store.list()).map((m) => m.version)).not.toContain('crm-learned-slack-del');
      expect(await store.activeVersion()).not.toBe('crm-learned-slack-del');
      const audit = await db.prisma.auditLog.findFirstOrThrow({
        where: { action: 'message.delete', subject: recordId },
      });
      expect(audit.details).toMatchObject({ recordDeleted: false, trainingText: 'rebuilt', withdrawnModels: 1 });
    }, 300_000);

    it('takes the words an edit took out of the correction and withdraws the model that learned them', async () => {
      const regret = 'Scratch that, the blivetron snarfwidget budget went to your competitor';
      const { db, store, recordId, reply } = await correctedAndLearned(regret, 'crm-learned-slack-edit');

      // message_changed as Slack sends it: the message as it is now, and as it was.
      const now = 'Scratch that, the budget went to your competitor';
      await sendEvent(
        messageChangedEvent({
          user: 'UGUESTDEL',
          ts: reply,
          text: now,
          previousText: regret,
          editedTs: tsOf(++seq),
          eventTs: tsOf(++seq),
        }),
      );
      await eventually('the edit applied', async () => (await messageByTs(reply))?.text === now);

      expect(
        await db.prisma.labeledExample.findMany({ where: { recordId }, select: { text: true, label: true } }),
      ).toEqual([{ text: `${QUESTION}\n\n${now}`, label: 'churn' }]);
      expect((await store.list()).map((m) => m.version)).not.toContain('crm-learned-slack-edit');
      expect(await store.activeVersion()).not.toBe('crm-learned-slack-edit');
      const audit = await db.prisma.auditLog.findFirstOrThrow({ where: { action: 'message.edit', subject: recordId } });
      expect(audit.details).toMatchObject({ trainingText: 'rebuilt', withdrawnModels: 1 });
      const withdrawal = await db.prisma.auditLog.findFirstOrThrow({
        where: { action: 'model.withdraw', subject: recordId },
      });
      expect(withdrawal.details).toMatchObject({ reason: 'message.edit', versions: ['crm-learned-slack-edit'] });
    }, 300_000);

    it('keeps the correction and the model when an edit takes out only a word an earlier edit added', async () => {
      const regret = 'Scratch that, the budget went to your competitor';
      const { db, store, recordId, reply } = await correctedAndLearned(regret, 'crm-learned-slack-added');
      /** The customer edits the reply on Slack from `before` to `now`; resolves once it is stored. */
      const edit = async (before: string, now: string) => {
        await sendEvent(
          messageChangedEvent({
            user: 'UGUESTDEL',
            ts: reply,
            text: now,
            previousText: before,
            // A second apart, as a person edits: edits within one millisecond count as one (editedAt).
            editedTs: `${1766200000 + ++seq}.000100`,
            eventTs: tsOf(++seq),
          }),
        );
        await eventually('the edit applied', async () => (await messageByTs(reply))?.text === now);
      };

      // Edit 1 adds a word (and punctuation) after the correction took the text; edit 2 takes it out.
      const added = 'Scratch that, the whole budget went to your competitor!';
      await edit(regret, added);
      await edit(added, 'Scratch that, the budget went to your competitor!');

      // No word the model learned left: the text is the one the rep labeled, the model stays in use.
      expect(
        await db.prisma.labeledExample.findMany({ where: { recordId }, select: { text: true, label: true } }),
      ).toEqual([{ text: `${QUESTION}\n\n${regret}`, label: 'churn' }]);
      expect((await store.list()).map((m) => m.version)).toContain('crm-learned-slack-added');
      expect(await store.activeVersion()).toBe('crm-learned-slack-added');
      const audits = await db.prisma.auditLog.findMany({ where: { action: 'message.edit', subject: recordId } });
      expect(audits.map((a) => a.details)).toEqual([
        expect.objectContaining({ trainingText: 'kept', withdrawnModels: 0 }),
        expect.objectContaining({ trainingText: 'kept', withdrawnModels: 0 }),
      ]);
      expect(await db.prisma.auditLog.count({ where: { action: 'model.withdraw', subject: recordId } })).toBe(0);
    }, 300_000);
  },
);
