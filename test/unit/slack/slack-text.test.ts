import { describe, expect, it } from 'vitest';
import { slackTextToPlain } from '../../../connectors/slack/slack-text.ts';

describe('slackTextToPlain', () => {
  it('resolves links, mentions, channels and broadcasts to words', () => {
    expect(slackTextToPlain('See <https://acme.com/q|the quote> and <https://acme.com>')).toBe(
      'See the quote and https://acme.com',
    );
    expect(slackTextToPlain('<@U123|jo> and <@U456> in <#C1|sales> <#C2>')).toBe('@jo and @U456 in #sales #C2');
    expect(slackTextToPlain('<!here> <!channel> <!subteam^S1|@support> <!date^1392734382^{date}|Feb 18>')).toBe(
      '@here @channel @support Feb 18',
    );
    expect(slackTextToPlain('mail <mailto:jo@acme.com|jo@acme.com> or <mailto:ann@acme.com>')).toBe(
      'mail jo@acme.com or ann@acme.com',
    );
  });

  it('unescapes &lt; &gt; &amp; after the brackets, so typed angle brackets stay text', () => {
    expect(slackTextToPlain('Q&amp;A: 3 &lt; 5 &amp;&amp; &lt;@U1&gt;')).toBe('Q&A: 3 < 5 && <@U1>');
  });
});
