const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text made safe for XML/HTML text and quoted attribute values: every string
 * of the picture that comes from an inventory or a role (names, domains, MACs,
 * "claimed by") goes through here, so a hostile name draws as text, never as markup.
 */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
