// The oracle of oxiam-policy's tests: `decide(case)` runs one case in the corpus format of
// crates/oxiam-policy/tests/cases through @cloud-copilot/iam-simulate and returns
//   {"decision": "Allow" | "ExplicitDeny" | "ImplicitDeny", "ignored": [context keys it dropped]}
//   {"error": "…"}  when the simulator refused the input.
// The package is installed by scripts/oracle/install.sh under target/oracle; never vendored.
import { createRequire } from 'node:module';
import path from 'node:path';

const dir = process.env.OXIAM_ORACLE_DIR ?? path.resolve(import.meta.dirname, '../../target/oracle');
const require = createRequire(path.join(dir, 'package.json'));
let sim;
try {
  sim = await import(require.resolve('@cloud-copilot/iam-simulate'));
} catch (e) {
  console.error(`oracle not installed under ${dir}: run scripts/oracle/install.sh (${e.message})`);
  process.exit(2);
}

const DECISION = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' };

const named = (list) => (list ?? []).map((p) => ({ name: p.name, policy: p.document }));
// The simulator adds the AWS-managed RCPFullAWSAccess itself and rejects it as input.
const levels = (lv, drop) =>
  (lv ?? []).map((policies, i) => ({
    orgIdentifier: `level-${i}`,
    policies: named(policies.filter((p) => p.name !== drop)),
  }));

function simulation(c) {
  const p = c.policies ?? {};
  const r = c.request;
  const session = p.session ?? [];
  if (session.length > 1) throw new Error('the oracle takes at most one session policy');
  return {
    request: {
      principal: r.principal.type === 'Anonymous' ? sim.anonymousPrincipal : r.principal.arn,
      action: r.action,
      resource: { resource: r.resource, accountId: r.resource_account },
      contextVariables: r.context ?? {},
    },
    identityPolicies: named(p.identity),
    permissionBoundaryPolicies: p.permissions_boundary ? named([p.permissions_boundary]) : undefined,
    sessionPolicy: session.length === 1 ? session[0].document : undefined,
    resourcePolicy: p.resource?.document,
    serviceControlPolicies: levels(p.scps),
    resourceControlPolicies: levels(p.rcps, "RCPFullAWSAccess"),
  };
}

export async function decide(c) {
  try {
    const res = await sim.runSimulation(simulation(c), { simulationMode: 'Strict' });
    if (res.resultType === 'error') {
      return { error: res.errors.message ?? JSON.stringify(res.errors) };
    }
    const decision = DECISION[res.overallResult];
    return decision
      ? { decision, ignored: res.result?.ignoredContextKeys ?? [] }
      : { error: `unknown result ${res.overallResult}` };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}
