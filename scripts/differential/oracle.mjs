// rolecall's adapter for the independent simulator used as a black-box oracle by
// scripts/differential: reads cases in rolecall's case format (one JSON object per line) on
// standard input, runs each through @cloud-copilot/iam-simulate (installed by
// scripts/differential into a cache outside the repository; it is AGPL-3.0, so none of its code
// or data is kept here), and prints one line per case: {"line": N, "decision": "..."} or
// {"line": N, "error": "..."}.
import { createInterface } from 'node:readline';
import { runSimulation, anonymousPrincipal } from '@cloud-copilot/iam-simulate';

const DECISIONS = {
  Allowed: 'allow',
  ImplicitlyDenied: 'implicit_deny',
  ExplicitlyDenied: 'explicit_deny',
};

function accountOf(arn) {
  const parts = String(arn || '').split(':');
  return parts.length > 4 && /^\d{12}$/.test(parts[4]) ? parts[4] : undefined;
}

function principalKeys(p, facts) {
  const m = /^arn:([^:]+):(iam|sts)::(\d{12}):(.*)$/.exec(p || '');
  if (!m) return {};
  const [, partition, service, account, rest] = m;
  const keys = { 'aws:PrincipalAccount': account, 'aws:PrincipalIsAWSService': 'false' };
  if (service === 'iam' && rest.startsWith('role/')) {
    keys['aws:PrincipalArn'] = p;
    keys['aws:PrincipalType'] = 'AssumedRole';
  } else if (service === 'sts' && rest.startsWith('assumed-role/')) {
    const name = rest.split('/')[1];
    keys['aws:PrincipalArn'] = `arn:${partition}:iam::${account}:role${facts.path || '/'}${name}`;
    keys['aws:PrincipalType'] = 'AssumedRole';
  } else if (service === 'iam' && rest.startsWith('user/')) {
    keys['aws:PrincipalArn'] = p;
    keys['aws:PrincipalType'] = 'User';
    keys['aws:username'] = rest.split('/').pop();
  } else if (rest === 'root') {
    keys['aws:PrincipalArn'] = p;
    keys['aws:PrincipalType'] = 'Account';
  }
  return keys;
}

function toSimulation(c) {
  const req = c.request;
  const pol = c.policies || {};
  const ctx = {};
  for (const [k, v] of Object.entries(req.context || {})) ctx[k] = v;
  const facts = req.principal_facts || {};
  for (const [k, v] of Object.entries(facts.tags || {})) {
    if (!(`aws:PrincipalTag/${k}` in ctx)) ctx[`aws:PrincipalTag/${k}`] = v;
  }
  if (facts.org_id && !('aws:PrincipalOrgID' in ctx)) ctx['aws:PrincipalOrgID'] = facts.org_id;
  // The oracle reads principal keys only from the context: fill them as the IAM User Guide
  // ("AWS global condition context keys") says every signed request carries them. A role session's
  // aws:PrincipalArn is the role's ARN, not the session's.
  for (const [k, v] of Object.entries(principalKeys(req.principal, facts))) {
    if (!(k in ctx)) ctx[k] = v;
  }
  const principalAccount = /^\d{12}$/.test(req.principal || '') ? req.principal : accountOf(req.principal);
  const levels = (list, prefix) =>
    (list || []).map((docs, i) => ({
      orgIdentifier: `${prefix}-${i}`,
      policies: docs.map((d, j) => ({ name: `${prefix}-${i}-${j}`, policy: d })),
    }));
  return {
    request: {
      principal: req.principal === 'anonymous' ? anonymousPrincipal : req.principal,
      action: req.action,
      resource: {
        resource: req.resource,
        accountId: req.resource_account || accountOf(req.resource) || principalAccount || '111111111111',
      },
      contextVariables: ctx,
    },
    identityPolicies: (pol.identity || []).map((d, i) => ({ name: `identity-${i}`, policy: d })),
    serviceControlPolicies: levels(pol.scps, 'scp'),
    // The oracle attaches RCPFullAWSAccess itself and refuses Allow statements in the RCPs it is
    // given (only that AWS-managed policy may allow): pass the Deny documents only.
    resourceControlPolicies: levels(
      (pol.rcps || []).map((docs) =>
        docs.filter((d) => [].concat(d.Statement).some((s) => s.Effect === 'Deny')),
      ),
      'rcp',
    ),
    resourcePolicy: pol.resource || pol.trust,
    permissionBoundaryPolicies: pol.boundary ? [{ name: 'boundary', policy: pol.boundary }] : undefined,
    sessionPolicy: pol.session,
  };
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
let n = 0;
for await (const line of rl) {
  n += 1;
  if (!line.trim()) continue;
  let out;
  try {
    const c = JSON.parse(line);
    const r = await runSimulation(toSimulation(c), { simulationMode: 'Strict' });
    if (r.resultType === 'error') {
      out = { line: n, error: JSON.stringify(r.errors).slice(0, 500) };
    } else {
      const d = DECISIONS[r.overallResult];
      out = d ? { line: n, decision: d } : { line: n, error: `unknown result ${r.overallResult}` };
    }
  } catch (e) {
    out = { line: n, error: String(e && e.message ? e.message : e).slice(0, 500) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
