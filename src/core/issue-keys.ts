const ISSUE_KEY = /\b[A-Z][A-Z0-9_]+-\d+\b/g;
const RELM_KEY = /^REL-\d+$/;

/**
 * Jira issue keys written in a release's texts, in the order they first appear, without relm's own
 * REL-n keys (and without `except`, the change ticket itself).
 */
export function mentionedIssueKeys(texts: string[], except?: string | null): string[] {
  const keys = new Set<string>();
  for (const text of texts) for (const [key] of text.matchAll(ISSUE_KEY)) if (!RELM_KEY.test(key) && key !== except) keys.add(key);
  return [...keys];
}
