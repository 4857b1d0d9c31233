import { describe, expect, it } from 'vitest';
import { htmlToPlainText, looksLikeHtml } from '../../../connectors/teams/teams-html-text.ts';
import { teamsChannelRef, teamsThreadId } from '../../../connectors/teams/teams-channel-ref.ts';

describe('Teams message HTML to plain text', () => {
  it('keeps mention and link text, breaks lines at blocks and <br>, decodes entities, drops other tags', () => {
    expect(
      htmlToPlainText(
        '<div><at>Rapport</at> hello&nbsp;<b>team</b></div><div>line&lt;2&gt; &amp; <a href="https://x.example">a link</a></div>',
      ),
    ).toBe('Rapport hello team\nline<2> & a link');
    expect(htmlToPlainText('one<br>two<br/>three')).toBe('one\ntwo\nthree');
    expect(htmlToPlainText('<ul><li>a</li><li>b</li></ul>')).toBe('- a\n- b');
    expect(htmlToPlainText('caf&#233; &#x1F600; &bogus;')).toBe('café 😀 &bogus;');
    expect(htmlToPlainText('<p>x</p><style>p{}</style><script>alert(1)</script>')).toBe('x');
  });

  it('tells HTML bodies from plain text', () => {
    expect(looksLikeHtml('<p>hi</p>')).toBe(true);
    expect(looksLikeHtml('a < b and c > d')).toBe(false);
    expect(looksLikeHtml('plain', 'html')).toBe(true);
  });
});

describe('Teams conversation ids', () => {
  it('takes the channel and the thread root apart in a channel thread id', () => {
    expect(teamsChannelRef('19:abc@thread.tacv2;messageid=1700000000001')).toBe('19:abc@thread.tacv2');
    expect(teamsThreadId('19:abc@thread.tacv2;messageid=1700000000001')).toBe('1700000000001');
    expect(teamsChannelRef('a:1-personal-chat')).toBe('a:1-personal-chat');
    expect(teamsThreadId('a:1-personal-chat')).toBeUndefined();
  });
});
