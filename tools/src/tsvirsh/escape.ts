/** Quoting for `echo --shell` and `echo --xml`, as libvirt's virBufferEscapeShell/virBufferEscapeString do it. */

/** Characters that make a word need shell quoting. */
const SHELL_SPECIAL = /[|&;<>()$`\\"' \t\n*?[#~=%]/;

/** The word as is when a shell would read it unchanged, else in single quotes with `'` as `'\''`. */
export function escapeShell(text: string): string {
  if (text !== '' && !SHELL_SPECIAL.test(text)) return text;
  return `'${text.replaceAll("'", "'\\''")}'`;
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch] ?? ch);
}
