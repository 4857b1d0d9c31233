import { describe, expect, it } from 'vitest';
import { detectLanguage, languageLabel } from '../../../src/classifier/language-detector.ts';

describe('language detection', () => {
  it('tells the languages customers write apart, from a few words on', () => {
    const cases: [string, string][] = [
      ['价格太高可能会流失', 'zh'],
      ['請問下週二可以開會嗎？', 'zh'], // traditional characters are Chinese too
      ['您好，附件是我们这个季度的订单，请查收。此致敬礼', 'zh'],
      ['来週の火曜日に打ち合わせをお願いできますか', 'ja'],
      ['다음 주 화요일에 회의 가능할까요?', 'ko'],
      ['Wir werden unseren Vertrag zum Monatsende kündigen', 'de'],
      ['Necesitamos la factura del mes pasado, por favor', 'es'],
      ['Bonjour, pouvez-vous nous envoyer le devis ?', 'fr'],
      ['Podemos marcar uma reunião para amanhã? Obrigado', 'pt'],
      ['Can you send me the quote by Friday?', 'en'],
      ['Когда будет готов счёт?', 'ru'],
    ];
    for (const [text, language] of cases) expect(detectLanguage(text), text).toBe(language);
  });

  it('says "und" when there is too little to tell: empty, an emoji, a number, a short text whose words belong to two languages', () => {
    for (const text of [
      '',
      '   ',
      '👍',
      '🙂🙂',
      '12345',
      'ok',
      'x',
      'https://example.com/a',
      'Necesitamos una factura',
    ]) {
      expect(detectLanguage(text), text).toBe('und');
    }
  });

  it('reads mixed texts by their main script: a Han character weighs about a word', () => {
    expect(detectLanguage('pls 发一下报价')).toBe('zh');
    expect(detectLanguage('老师好，API文档和SDK在哪里下载？')).toBe('zh');
    expect(detectLanguage('can you send the 报价 today')).toBe('en');
  });

  it('full-width letters are read as the letters they are', () => {
    expect(detectLanguage('Ｃａｎ ｙｏｕ ｓｅｎｄ ｔｈｅ ｑｕｏｔｅ ｐｌｅａｓｅ')).toBe('en');
  });

  it('names languages for cards', () => {
    expect(languageLabel('zh')).toBe('Chinese (zh)');
    expect(languageLabel('xx')).toBe('xx');
  });
});
