import { describe, expect, it } from 'vitest';
import { commandTextOf } from '../../../connectors/slack/events/command-message.event.ts';
import { slackCommandText, slackTextToPlain } from '../../../connectors/slack/slack-text.ts';

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

describe('slackCommandText', () => {
  // Slash-command text as Slack sends it with should_escape (manifest.json) and as app_mention events carry it.
  it('reads typed addresses, domains and channels as typed, keeps user mentions for assign, unescapes & < >', () => {
    expect(slackCommandText('lookup <mailto:jo@acme.com|jo@acme.com>')).toBe('lookup jo@acme.com');
    expect(slackCommandText('make customer <http://acme.com|acme.com> --name "Acme"')).toBe(
      'make customer acme.com --name "Acme"',
    );
    expect(slackCommandText('lookup <https://acme.com/pricing>')).toBe('lookup https://acme.com/pricing');
    // A link whose text is not its address (the composer's link button) keeps both.
    expect(slackCommandText('log acme "sent <https://acme.com/q/7|the quote>"')).toBe(
      'log acme "sent the quote (https://acme.com/q/7)"',
    );
    expect(slackCommandText('log acme "<mailto:jo@acme.com|Jo>"')).toBe('log acme "Jo (jo@acme.com)"');
    expect(slackCommandText('assign 3 <@U0REP2|Bob Smith>')).toBe('assign 3 <@U0REP2|Bob Smith>');
    expect(slackCommandText('assign 3 <@W0REP2>')).toBe('assign 3 <@W0REP2>');
    expect(slackCommandText('notify acme here <#C1|sales>')).toBe('notify acme here #sales');
    expect(slackCommandText('log acme "Jo &amp; Bob want it for &lt; $5k &gt;_&lt;"')).toBe(
      'log acme "Jo & Bob want it for < $5k >_<"',
    );
    expect(slackCommandText('  log acme  ')).toBe('log acme');
  });
});

describe('commandTextOf (@Rapport and DM commands)', () => {
  it('drops the leading mention of the bot and reads the rest as typed', () => {
    expect(commandTextOf('<@UBOT> lookup <mailto:jo@acme.com|jo@acme.com>', 'UBOT')).toBe('lookup jo@acme.com');
    expect(commandTextOf('<@UBOT|rapport>: log acme "Jo &amp; Bob" ', 'UBOT')).toBe('log acme "Jo & Bob"');
    expect(commandTextOf('assign 3 <@U0REP2|bob>', 'UBOT')).toBe('assign 3 <@U0REP2|bob>');
  });
});
