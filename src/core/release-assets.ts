/** A release asset the plan names, checked on the GitHub release before the first wave. */
export interface ReleaseAsset {
  name: string;
  sha256: string;
}

/**
 * Reads the plan's asset lines, `name sha256` (or `name sha256:<hex>`) one per line, blank lines
 * skipped; the first bad or repeated line is the problem, said so the person can fix that line.
 */
export function parseAssetLines(text: string): { assets: ReleaseAsset[]; problem?: string } {
  const assets: ReleaseAsset[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const match = /^(\S+)\s+(?:sha256:)?([0-9a-fA-F]{64})$/.exec(line);
    if (!match) return { assets, problem: `"${line.slice(0, 40)}" should be an asset name and its 64-character sha256, one per line.` };
    if (assets.some((a) => a.name === match[1])) return { assets, problem: `${match[1]!.slice(0, 40)} is listed twice.` };
    assets.push({ name: match[1]!, sha256: match[2]!.toLowerCase() });
  }
  return { assets };
}
