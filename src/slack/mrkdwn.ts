// Slack reads `<...>` in mrkdwn as markup (mentions, <!here>, links) and `&` as the start of an entity, so text
// from outside (errors, AWS and Kubernetes output, logs) must reach Slack as &amp; &lt; &gt;.

/** Escapes all of `&`, `<`, `>`: for text that came from outside the bot. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// The only markup the bot writes itself: a mention of a person (<@U…>) or a channel (<#C…>), and the entities
// escapeMrkdwn already produced. Everything else is escaped, so a stray <!here> cannot ping a channel.
const OWN_MARKUP = /<[@][UW][A-Z0-9]+>|<#[CG][A-Z0-9]+>|&(?:amp|lt|gt);/g;

/** Escapes what is not the bot's own markup; a second pass changes nothing. */
export function escapeAllButOwnMarkup(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(OWN_MARKUP)) {
    out += escapeMrkdwn(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + escapeMrkdwn(text.slice(last));
}
