import { followTeamChannel, runCommand } from '/console/feed.js';
import { say } from '/console/page.js';

// Buttons on the channel's cards run as the signed-in person; the card updates itself in the feed.
followTeamChannel(document.getElementById('feed'), document.getElementById('stream-state'), async (command) => {
  const reply = await runCommand(command);
  say(reply.title ? `${reply.title}: ${reply.text}` : reply.text, reply.tone === 'error');
});
