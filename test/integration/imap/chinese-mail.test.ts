import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../helpers/dovecot.ts';
import { buildCharsetEmail, type LegacyCharset } from '../../helpers/email-fixtures.ts';
import { syncMailboxOnce } from '../../helpers/mailbox-sync.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

// Issue 18, end to end by email: Chinese customers' mail in the charsets their clients still send
// (GB2312, GBK, Big5 for traditional characters, UTF-8), each body in another transfer encoding,
// through Dovecot, the real IMAP sync and the real pipeline: decoded, labelled, stored as Chinese,
// and a follow-up suggested.
const MAILS: Array<{
  charset: LegacyCharset;
  transferEncoding: 'base64' | 'quoted-printable' | '8bit';
  from: string;
  subject: string;
  body: string;
  label: string;
  followUp: string;
}> = [
  {
    charset: 'GB2312',
    transferEncoding: 'base64',
    from: '王经理 <wang@huanan-steel.cn>',
    subject: '关于续约',
    body: '你好，\n\n价格太高了，如果不降价我们月底就不续约了，可能会换别家。\n\n王经理',
    label: 'churn',
    followUp: 'Call to understand why they want to leave',
  },
  {
    charset: 'GBK',
    transferEncoding: 'quoted-printable',
    from: 'li@xinda-logistics.cn',
    subject: '登录报错',
    body: '系统从昨天开始一直登录不上，报错500，麻烦尽快处理。',
    label: 'issue',
    followUp: 'Call back today',
  },
  {
    charset: 'Big5',
    transferEncoding: '8bit',
    from: '陳先生 <chen@taipei-trading.tw>',
    subject: '詢價',
    body: '我們想再買五十個帳號，請報個價給我們。',
    label: 'purchase',
    followUp: 'Send the quote',
  },
  {
    charset: 'UTF-8',
    transferEncoding: 'base64',
    from: 'zhao@yunfan-tech.cn',
    subject: '二期需求',
    body: '下周二下午3点开个会，聊一下二期的需求',
    label: 'scheduling',
    followUp: 'Confirm the meeting',
  },
];

let dovecot: DovecotServer;
beforeAll(async () => {
  dovecot = await startDovecot();
});
afterAll(async () => {
  await dovecot?.stop();
});

describe.each(TEST_DATABASE_KINDS)('Chinese customer mail through IMAP and the pipeline on %s', (kind) => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness(kind, { settings: { timezone: 'Asia/Shanghai' } });
    // Build the default model once, here, rather than inside whichever test classifies first.
    await h.deps.classifier.get();
  }, 300_000); // building the default model took over 120 s at a load average of 28 on the 2 shared cores
  afterAll(async () => {
    await h?.dispose();
  });

  it.each(MAILS)(
    '$charset ($transferEncoding): decoded, labelled $label, language zh, and "$followUp" suggested',
    async (mail) => {
      // Each test its own Message-ID and mailbox: the tests share one pipeline and database.
      const messageId = `${randomBytes(6).toString('hex')}@${mail.from.split('@')[1].replace('>', '')}`;
      const raw = buildCharsetEmail({ ...mail, to: 'sales@support.example', messageId });
      const sync = await syncMailboxOnce(dovecot, h.redis, h.test.db, [raw], { hooks: h.hooks });
      expect(sync.status.counts).toMatchObject({ logged: 1 });
      const db = h.test.db.prisma;
      const message = await db.message.findUniqueOrThrow({
        where: { externalId: `email:<${messageId}>` },
        include: { record: true },
      });
      expect(message.record.subject).toBe(mail.subject);
      expect(message.authorName ?? '').toBe(/^(.*?) </.exec(mail.from)?.[1] ?? '');
      expect(message.cleanText).toContain(mail.body.split('\n').find((line) => line.length > 10));
      const followUp = await eventually('the suggested follow-up', async () =>
        db.followUp.findFirst({ where: { recordId: message.recordId }, include: { classification: true } }),
      );
      expect(followUp.classification?.label).toBe(mail.label);
      expect(followUp.title).toBe(mail.followUp);
      expect((await db.message.findUniqueOrThrow({ where: { id: message.id } })).language).toBe('zh');
      expect(followUp.reason).toContain('written in Chinese (zh)');
    },
  );
});
