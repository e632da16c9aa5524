import { createServer, type Server } from 'node:http';
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { closeNow, guarded, listenLocally, readBody } from './local-server.ts';

export interface GitHubCall {
  method: string;
  path: string;
  body: any;
  auth?: string;
}

interface FakeRelease {
  id: number;
  tag_name: string;
  name: string;
  body: string;
  draft: boolean;
  html_url: string;
  generate_release_notes?: boolean;
  assets?: { name: string; digest: string | null }[];
}

const REVIEW_SCHEMA = JSON.parse(readFileSync(new URL('../fixtures/github-review-custom-gates.schema.json', import.meta.url), 'utf8'));
const validateReview = new Ajv({ strict: false, allErrors: true }).compile(REVIEW_SCHEMA);

/** One commit of a repository's (linear) history, oldest first, with git's two dates. */
export interface FakeCommit {
  sha: string;
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
}

/** A review of a run's custom deployment protection rule, as GitHub received it. */
export interface GateReviewCall {
  repo: string;
  runId: number;
  installationId: number;
  body: { environment_name: string; state?: string; comment?: string };
}

/** Whether `jwt` is an RS256 JWT signed by `key` for App `appId`, unexpired. */
function appJwtValid(jwt: string, key: KeyObject, appId: string): boolean {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return false;
  const head = JSON.parse(Buffer.from(header, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (head.alg !== 'RS256') return false;
  if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return false;
  return String(claims.iss) === appId && claims.exp * 1000 > Date.now();
}

/** An injected failure: a status instead of the answer, or the work done at once but its answer held back `delayMs` (a slow or lost answer). */
type Fault = { status?: number; delayMs?: number; method?: string; path?: RegExp; headers?: Record<string, string>; body?: unknown };

/**
 * The GitHub REST endpoints relm uses for releases, on 127.0.0.1, answering in GitHub's shapes
 * (id, tag_name, draft, html_url, upload_url…); it records every call and can be told to fail.
 */
export class FakeGitHub {
  readonly calls: GitHubCall[] = [];
  readonly releases: FakeRelease[] = [];
  readonly faults: Fault[] = [];
  /** While set, every request is answered with this status (GitHub down); faults wait till then. */
  outage?: number;
  readonly deployments: { id: number; ref: string; environment: string; payload: Record<string, unknown>; auto_merge?: boolean; repo: string }[] = [];
  /** Statuses per deployment id, oldest first, as a deploy system would have posted them to GitHub. */
  readonly deploymentStatuses = new Map<number, { state: string; description: string }[]>();
  url = '';
  #server?: Server;
  /** Answer only under /api/v3, as GitHub Enterprise Server does. */
  enterprise = false;
  #id = 1000;
  /** The App relm signs in as: its id and public key (the test keeps the private one). */
  app?: { id: string; publicKey: string; slug: string };
  /** Installation tokens handed out, by token. */
  readonly installationTokens = new Map<string, number>();
  /** Reviews of custom deployment protection rules that passed GitHub's schema. */
  readonly gateReviews: GateReviewCall[] = [];
  /** The commit each ref (tag or branch) of a repository points at: `owner/repo@ref` → sha. */
  readonly commits = new Map<string, string>();
  /** Each repository's history on its default branch, oldest first: what compare lists. */
  readonly history = new Map<string, FakeCommit[]>();

  /** Adds commits to a repository's default branch (`main`, which then points at the newest); returns their shas. */
  addCommits(repo: string, commits: { authoredAt: Date; committedAt?: Date; message?: string }[]): string[] {
    const list = this.history.get(repo) ?? [];
    this.history.set(repo, list);
    const shas = commits.map((c) => {
      const sha = createHash('sha1').update(`${repo}:${list.length}:${c.message ?? ''}`).digest('hex');
      list.push({
        sha,
        message: c.message ?? `change ${list.length + 1}`,
        author: { name: 'Dev', email: 'dev@example.com', date: c.authoredAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
        committer: { name: 'GitHub', email: 'noreply@github.com', date: (c.committedAt ?? c.authoredAt).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      });
      return sha;
    });
    if (list.length) this.commits.set(`${repo}@main`, list[list.length - 1]!.sha);
    return shas;
  }

  /** Tags the newest commit of the default branch (or `sha`), as a push of the tag would. */
  tag(repo: string, tag: string, sha?: string): void {
    const history = this.history.get(repo) ?? [];
    this.commits.set(`${repo}@${tag}`, sha ?? history[history.length - 1]!.sha);
  }

  async start(): Promise<this> {
    this.#server = createServer(guarded(async (req, res) => {
      const raw = await readBody(req);
      const body = raw ? JSON.parse(raw) : undefined;
      // GitHub Enterprise Server serves the REST API under /api/v3.
      const full = (req.url ?? '').split('?')[0]!;
      const path = this.enterprise ? (full.startsWith('/api/v3/') ? full.slice('/api/v3'.length) : '/not-under-api-v3') : full;
      this.calls.push({ method: req.method!, path: full, body, auth: req.headers.authorization });
      let holdAnswerMs = 0;
      const send = async (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        if (holdAnswerMs) await new Promise((resolve) => setTimeout(resolve, holdAnswerMs));
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': `F${this.calls.length}`, ...headers });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      if (this.outage) return send(this.outage, { message: 'Service unavailable', documentation_url: 'https://www.githubstatus.com' });
      const at = this.faults.findIndex((f) => (!f.method || f.method === req.method) && (!f.path || f.path.test(path)));
      const fault = at >= 0 ? this.faults.splice(at, 1)[0] : undefined;
      holdAnswerMs = fault?.delayMs ?? 0;
      if (fault?.status) return send(fault.status, fault.body ?? { message: 'Injected failure', documentation_url: 'https://docs.github.com/rest' }, fault.headers);
      const bearer = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const asApp = () => Boolean(this.app && bearer && appJwtValid(bearer, createPublicKey(this.app.publicKey), this.app.id));
      if (path === '/app' && req.method === 'GET') {
        if (!asApp()) return send(401, { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' });
        return send(200, { id: Number(this.app!.id), slug: this.app!.slug, name: this.app!.slug, owner: { login: 'acme' }, permissions: { deployments: 'write', actions: 'read' }, events: ['deployment_protection_rule'] });
      }
      const tokens = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
      if (tokens && req.method === 'POST') {
        if (!asApp()) return send(401, { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' });
        const token = `ghs_fake${this.installationTokens.size + 1}_${tokens[1]}`;
        this.installationTokens.set(token, Number(tokens[1]));
        return send(201, { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { deployments: 'write', actions: 'read' }, repository_selection: 'all' });
      }
      const gate = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
      if (gate && req.method === 'POST') {
        const token = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const installationId = token ? this.installationTokens.get(token) : undefined;
        if (installationId === undefined) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
        if (!validateReview(body)) return send(422, { message: 'Invalid request.', errors: validateReview.errors, documentation_url: 'https://docs.github.com/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run' });
        this.gateReviews.push({ repo: `${gate[1]}/${gate[2]}`, runId: Number(gate[3]), installationId, body: body as GateReviewCall['body'] });
        return send(204, undefined);
      }
      const compare = /^\/repos\/([^/]+)\/([^/]+)\/compare\/(.+)$/.exec(path);
      if (compare && req.method === 'GET') {
        // GitHub's "compare two commits": base...head, as git log base..head, oldest first.
        const repo = `${compare[1]}/${compare[2]}`;
        const basehead = decodeURIComponent(compare[3]!);
        const [baseRef, headRef] = basehead.split('...');
        const history = this.history.get(repo) ?? [];
        const resolve = (ref: string | undefined) => (ref === undefined ? -1 : history.findIndex((c) => c.sha === (this.commits.get(`${repo}@${ref}`) ?? ref)));
        const [base, head] = [resolve(baseRef), resolve(headRef)];
        if (base < 0 || head < 0 || headRef === undefined) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/commits/commits#compare-two-commits', status: '404' });
        const ahead = history.slice(base + 1, head + 1);
        const query = new URL(req.url ?? '', 'http://x').searchParams;
        const paged = query.has('page') || query.has('per_page');
        const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
        const page = Math.max(1, Number(query.get('page') ?? 1));
        // Without paging, the 250 newest; with it, pages of the whole comparison from the oldest.
        const listed = paged ? ahead.slice((page - 1) * perPage, page * perPage) : ahead.slice(-250);
        const last = Math.max(1, Math.ceil(ahead.length / perPage));
        const link = (p: number) => `<${this.url}${full}?per_page=${perPage}&page=${p}>`;
        const headers: Record<string, string> = paged && page < last ? { link: `${link(page + 1)}; rel="next", ${link(last)}; rel="last"` } : {};
        const shapeCommit = (c: FakeCommit) => ({
          sha: c.sha,
          node_id: `C_${c.sha.slice(0, 10)}`,
          commit: { author: c.author, committer: c.committer, message: c.message, tree: { sha: c.sha, url: '' }, url: `${this.url}/repos/${repo}/git/commits/${c.sha}`, comment_count: 0, verification: { verified: false, reason: 'unsigned', signature: null, payload: null } },
          url: `${this.url}/repos/${repo}/commits/${c.sha}`,
          html_url: `https://github.example/${repo}/commit/${c.sha}`,
          comments_url: `${this.url}/repos/${repo}/commits/${c.sha}/comments`,
          author: { login: 'dev' },
          committer: { login: 'web-flow' },
          parents: history.indexOf(c) > 0 ? [{ sha: history[history.indexOf(c) - 1]!.sha, url: `${this.url}/repos/${repo}/commits/${history[history.indexOf(c) - 1]!.sha}` }] : [],
        });
        return send(
          200,
          {
            url: `${this.url}/repos/${repo}/compare/${basehead}`,
            html_url: `https://github.example/${repo}/compare/${basehead}`,
            permalink_url: `https://github.example/${repo}/compare/${basehead}`,
            diff_url: `https://github.example/${repo}/compare/${basehead}.diff`,
            patch_url: `https://github.example/${repo}/compare/${basehead}.patch`,
            base_commit: shapeCommit(history[base]!),
            merge_base_commit: shapeCommit(history[Math.min(base, head)]!),
            status: head === base ? 'identical' : head > base ? 'ahead' : 'behind',
            ahead_by: Math.max(0, head - base),
            behind_by: Math.max(0, base - head),
            total_commits: ahead.length,
            commits: listed.map((c) => shapeCommit(c)),
            files: page === 1 ? [] : undefined,
          },
          headers,
        );
      }
      const commit = /^\/repos\/([^/]+)\/([^/]+)\/commits\/(.+)$/.exec(path);
      if (commit && req.method === 'GET') {
        const sha = this.commits.get(`${commit[1]}/${commit[2]}@${decodeURIComponent(commit[3]!)}`);
        if (!sha) return send(422, { message: `No commit found for SHA: ${commit[3]}`, documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit' });
        return send(200, { sha, commit: { message: 'release' }, html_url: `https://github.example/${commit[1]}/${commit[2]}/commit/${sha}` });
      }
      const list = /^\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(path);
      const one = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)$/.exec(path);
      const shape = (r: FakeRelease, owner: string, repo: string) => ({
        ...r,
        url: `${this.url}/repos/${owner}/${repo}/releases/${r.id}`,
        upload_url: `${this.url}/repos/${owner}/${repo}/releases/${r.id}/assets{?name,label}`,
        prerelease: false,
        assets: (r.assets ?? []).map((a, i) => ({ id: r.id * 100 + i, name: a.name, state: 'uploaded', digest: a.digest, size: 1024, content_type: 'application/gzip', browser_download_url: `${r.html_url}/${a.name}` })),
        author: { login: 'relm-bot' },
        created_at: new Date().toISOString(),
        published_at: r.draft ? null : new Date().toISOString(),
      });
      const statuses = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/.exec(path);
      if (statuses && req.method === 'GET') {
        const id = Number(statuses[3]);
        if (!this.deployments.some((d) => d.id === id)) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/deployments/statuses#list-deployment-statuses' });
        const perPage = Number(new URL(req.url ?? '', 'http://x').searchParams.get('per_page') ?? 30);
        const list = [...(this.deploymentStatuses.get(id) ?? [])].reverse().slice(0, perPage);
        return send(200, list.map((s, i) => ({ id: id * 100 + i, state: s.state, description: s.description, environment: this.deployments.find((d) => d.id === id)!.environment, creator: { login: 'deploy-bot' }, created_at: new Date().toISOString(), deployment_url: `${this.url}/repos/${statuses[1]}/${statuses[2]}/deployments/${id}` })));
      }
      const deployments = /^\/repos\/([^/]+)\/([^/]+)\/deployments$/.exec(path);
      if (deployments && req.method === 'GET') {
        const query = new URL(req.url ?? '', 'http://x').searchParams;
        const repo = `${deployments[1]}/${deployments[2]}`;
        const found = this.deployments.filter((d) => d.repo === repo && (!query.get('environment') || d.environment === query.get('environment')) && (!query.get('ref') || d.ref === query.get('ref')));
        return send(200, found.map((d) => ({ id: d.id, ref: d.ref, environment: d.environment, payload: d.payload, sha: 'abc123', task: 'deploy', created_at: new Date().toISOString() })));
      }
      if (deployments && req.method === 'POST') {
        const deployment = { id: ++this.#id, ref: body.ref, environment: body.environment, payload: body.payload ?? {}, auto_merge: body.auto_merge, repo: `${deployments[1]}/${deployments[2]}` };
        this.deployments.push(deployment);
        return send(201, { id: deployment.id, ref: deployment.ref, environment: deployment.environment, payload: deployment.payload, sha: 'abc123', task: 'deploy', url: `${this.url}${path}/${deployment.id}`, created_at: new Date().toISOString() });
      }
      if (list && req.method === 'GET') return send(200, [...this.releases].reverse().map((r) => shape(r, list[1]!, list[2]!)));
      if (list && req.method === 'POST') {
        if (this.releases.some((r) => r.tag_name === body.tag_name)) return send(422, { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
        const release: FakeRelease = { id: ++this.#id, tag_name: body.tag_name, name: body.name, body: `${body.body ?? ''}${body.generate_release_notes ? '\n\n## What\'s Changed\n* generated notes' : ''}`, draft: Boolean(body.draft), html_url: `https://github.example/${list[1]}/${list[2]}/releases/tag/${body.tag_name}`, generate_release_notes: body.generate_release_notes };
        this.releases.push(release);
        return send(201, shape(release, list[1]!, list[2]!));
      }
      if (one) {
        const release = this.releases.find((r) => r.id === Number(one[3]));
        if (!release) return send(404, { message: 'Not Found' });
        if (req.method === 'GET') return send(200, shape(release, one[1]!, one[2]!));
        if (req.method === 'PATCH') {
          // Publishing a release whose tag does not exist creates it at the default branch's newest commit.
          const repo = `${one[1]}/${one[2]}`;
          const main = this.commits.get(`${repo}@main`);
          if (body.draft === false && main && !this.commits.has(`${repo}@${release.tag_name}`)) this.commits.set(`${repo}@${release.tag_name}`, main);
          if (body.draft !== undefined) release.draft = body.draft;
          if (body.body !== undefined) release.body = body.body;
          return send(200, shape(release, one[1]!, one[2]!));
        }
      }
      return send(404, { message: 'Not Found' });
    }));
    this.url = await listenLocally(this.#server);
    return this;
  }

  async stop(): Promise<void> {
    await closeNow(this.#server);
  }
}
