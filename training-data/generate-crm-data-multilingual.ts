/**
 * Writes crm-seed.<lang>.jsonl and crm-heldout.<lang>.jsonl (zh, de, es) from the hand-written bodies
 * in crm-phrasings-zh.ts and crm-phrasings-de-es.ts. Deterministic (seeded), so the committed files can
 * be regenerated exactly:
 *
 *   npx tsx training-data/generate-crm-data-multilingual.ts
 *
 * Like generate-crm-data.ts (English, unchanged), each body is dressed in the registers customers use
 * in that language: for Chinese a formal email (X总您好 … 此致 敬礼), WeChat-style chat (在吗/亲/老师好,
 * 🙏, no full stops), a note a rep types after a call (【电话】, 回访记录), and the bare line; slots are
 * filled from pools that differ between seed and held-out. Each line carries its `language`.
 */
import { writeFileSync } from 'node:fs';
import { seededRandom } from '../src/classifier/seeded-random.ts';
import type { Phrasings } from './crm-phrasings.ts';
import { CRM_PHRASINGS_DE, CRM_PHRASINGS_ES } from './crm-phrasings-de-es.ts';
import { CRM_PHRASINGS_ZH } from './crm-phrasings-zh.ts';

const random = seededRandom(20261202);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
type Register = (body: string) => string;
type Slots = Record<'seed' | 'heldOut', Record<string, string[]>>;

interface LanguageSet {
  readonly phrasings: Record<string, Phrasings>;
  readonly slots: Slots;
  readonly registers: readonly Register[];
}

const zhSentence = (b: string) => (/[。？！?!~～]$/.test(b) ? b : `${b}。`);
const ZH: LanguageSet = {
  phrasings: CRM_PHRASINGS_ZH,
  slots: {
    seed: {
      product: ['Rapport', '你们的系统', 'CRM', '专业版', '数据分析模块'],
      day: ['周二', '下周一', '明天', '15号', '周五', '3月3日'],
      time: ['上午10点', '下午3点', '9点半', '14:00', '中午'],
      amount: ['5000元', '1.2万', '¥499', '两万块', '25000元'],
      competitor: ['销售易', '纷享销客', '钉钉', '别家', 'Salesforce'],
      n: ['5', '20', '50', '12', '100'],
      person: ['王经理', '李总', '小张', '陈工', '刘老师'],
    },
    heldOut: {
      product: ['Rapport', '你们的软件', '这个APP', '企业版'],
      day: ['周三', '下周四', '21号', '下周', '6月2日'],
      time: ['11点', '下午4点', '早上8点半', '下午1点'],
      amount: ['3200元', '8千', '¥2500'],
      competitor: ['企业微信', '悟空CRM', '另一家供应商', 'HubSpot'],
      n: ['8', '30', '75', '250'],
      person: ['赵总', '孙经理', '小周', '吴工'],
    },
  },
  registers: [
    (b) => b,
    (b) => b.replace(/[。，！？,.!?]/g, ' ').trim(),
    (b) =>
      `${pick(['王经理您好：', '您好！', '张总，您好：', '尊敬的客服：', '各位好，'])}\n\n${pick(['', '打扰了。', '接上次沟通，', '代表我们运营部门联系您。'])}${zhSentence(b)}\n\n${pick(['此致\n敬礼', '谢谢！', '盼复。', '辛苦了，谢谢'])}\n${pick(['李娜', '陈伟（采购部）', '小赵', '刘洋'])}`,
    (b) => `${pick(['在吗？', '亲，', '老师好，', 'hello，', '您好，', '打扰一下，'])}${b}`,
    (b) => `${b}${pick(['，谢谢~', ' 🙏', '[抱拳]', '，辛苦啦', '！！', '，麻烦尽快'])}`,
    (b) => `${pick(['【电话】', '回访记录：', '（微信）', '备注：'])}${b}`,
  ],
};

const sentence = (b: string) => (/[.?!]$/.test(b) ? b : `${b}.`);
const latinRegisters = (
  greetings: string[],
  signOffs: string[],
  prefixes: string[],
  suffixes: string[],
): Register[] => [
  (b) => b,
  (b) => b.toLowerCase().replace(/[.,!?¿¡]/g, ''),
  (b) => `${pick(greetings)}\n\n${sentence(b)}\n\n${pick(signOffs)}`,
  (b) => `${pick(prefixes)}${b.charAt(0).toLowerCase()}${b.slice(1)}`,
  (b) => `${sentence(b)}${pick(suffixes)}`,
];

const DE: LanguageSet = {
  phrasings: CRM_PHRASINGS_DE,
  slots: {
    seed: {
      product: ['Rapport', 'das CRM', 'Ihre Plattform', 'den Pro-Tarif'],
      day: ['Dienstag', 'Freitag', 'nächsten Montag', 'morgen'],
      time: ['10 Uhr', '15 Uhr', '9:30'],
      amount: ['500 €', '1.200 €', '99 €'],
      competitor: ['HubSpot', 'Pipedrive', 'einen Mitbewerber'],
      n: ['5', '20', '50'],
      person: ['Frau Weber', 'Herr Schmidt', 'Jonas'],
    },
    heldOut: {
      product: ['Rapport', 'Ihre Software', 'die App'],
      day: ['Mittwoch', 'Donnerstag', 'übermorgen'],
      time: ['11 Uhr', '14:30'],
      amount: ['320 €', '2.500 €'],
      competitor: ['Salesforce', 'einen anderen Anbieter'],
      n: ['8', '30'],
      person: ['Frau Koch', 'Lena'],
    },
  },
  registers: latinRegisters(
    ['Sehr geehrte Damen und Herren,', 'Hallo Frau Weber,', 'Guten Tag,', 'Hallo zusammen,'],
    ['Mit freundlichen Grüßen\nAnna Becker', 'Viele Grüße\nTobias', 'Beste Grüße\nM. Wolf (Einkauf)'],
    ['Hallo, ', 'Kurze Frage: ', 'Hi, ', 'Guten Morgen, '],
    [' Danke!', ' Viele Grüße', ' Danke im Voraus.', ' LG'],
  ),
};

const ES: LanguageSet = {
  phrasings: CRM_PHRASINGS_ES,
  slots: {
    seed: {
      product: ['Rapport', 'el CRM', 'su plataforma', 'el plan Pro'],
      day: ['martes', 'viernes', 'lunes que viene', 'mañana'],
      time: ['10:00', '15:00', '9:30'],
      amount: ['500 €', '1.200 €', '99 $'],
      competitor: ['HubSpot', 'Pipedrive', 'la competencia'],
      n: ['5', '20', '50'],
      person: ['Lucía', 'el señor García', 'Pablo'],
    },
    heldOut: {
      product: ['Rapport', 'su software', 'la app'],
      day: ['miércoles', 'jueves', 'pasado mañana'],
      time: ['11:00', '16:30'],
      amount: ['320 €', '2.500 €'],
      competitor: ['Salesforce', 'otro proveedor'],
      n: ['8', '30'],
      person: ['Marta', 'el señor Ruiz'],
    },
  },
  registers: latinRegisters(
    ['Estimados señores:', 'Hola Lucía,', 'Buenas tardes,', 'Hola a todos,'],
    ['Un saludo,\nCarmen López', 'Saludos cordiales,\nJavier (Compras)', 'Gracias,\nAna'],
    ['Hola, ', 'Una pregunta: ', 'Buenas, ', 'Buenos días, '],
    [' ¡Gracias!', ' Saludos.', ' Gracias de antemano.', ' Un abrazo'],
  ),
};

function fill(body: string, slots: Record<string, string[]>): string {
  return body.replace(/\{(\w+)\}/g, (_, name: string) => pick(slots[name] ?? [name]));
}

function generate(language: string, set: LanguageSet, part: 'seed' | 'heldOut', perBody: number): string {
  const lines: string[] = [];
  for (const [label, phrasings] of Object.entries(set.phrasings)) {
    const seen = new Set<string>();
    for (const body of phrasings[part]) {
      const registers = [...set.registers].sort(() => random() - 0.5);
      for (let v = 0; v < perBody; v++) {
        const text = registers[v % registers.length](fill(body, set.slots[part]));
        if (seen.has(text)) continue;
        seen.add(text);
        lines.push(JSON.stringify({ text, label, language }));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const here = new URL('.', import.meta.url);
for (const [language, set] of [
  ['zh', ZH],
  ['de', DE],
  ['es', ES],
] as const) {
  writeFileSync(new URL(`crm-seed.${language}.jsonl`, here), generate(language, set, 'seed', 3));
  writeFileSync(new URL(`crm-heldout.${language}.jsonl`, here), generate(language, set, 'heldOut', 2));
}
