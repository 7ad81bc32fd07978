import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planCaBundlePatch, startCaBundleReconciler, type CaBundleClient, type CaBundleRound, type WebhooksView } from './ca-bundle.js';

const webhook = (name: string, caBundle?: string) => ({ name, clientConfig: caBundle === undefined ? {} : { caBundle } });

describe('planCaBundlePatch', () => {
  const cases: Array<[string, WebhooksView, unknown[]]> = [
    ['a configuration whose webhooks all carry the CA needs no patch', { webhooks: [webhook('a', 'Q0E='), webhook('b', 'Q0E=')] }, []],
    ['a missing caBundle is added, guarded by a test of the webhook name', { webhooks: [webhook('a')] }, [
      { op: 'test', path: '/webhooks/0/name', value: 'a' },
      { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: 'Q0E=' },
    ]],
    ['only the webhooks that differ are patched, at their own index', { webhooks: [webhook('a', 'Q0E='), webhook('b', 'b2xk')] }, [
      { op: 'test', path: '/webhooks/1/name', value: 'b' },
      { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: 'Q0E=' },
    ]],
    ['a configuration without webhooks needs nothing', {}, []],
  ];
  for (const [name, configuration, expected] of cases) it(name, () => assert.deepEqual(planCaBundlePatch(configuration, 'Q0E='), expected));
});

describe('startCaBundleReconciler', () => {
  it('retries failed rounds sooner than the interval, resolves firstSuccess on the first good round, and keeps checking', async () => {
    let calls = 0;
    const client: CaBundleClient = {
      async reconcile() {
        calls += 1;
        if (calls <= 2) throw new Error('HTTP 503');
        return calls <= 4 ? 'patched' : 'unchanged';
      },
    };
    const rounds: CaBundleRound[] = [];
    const reconciler = startCaBundleReconciler({
      client,
      configurations: [{ kind: 'ValidatingWebhookConfiguration', name: 'g' }, { kind: 'MutatingWebhookConfiguration', name: 'g' }],
      readCa: async () => Buffer.from('CA'),
      intervalMs: 30,
      retryMs: 5,
      onRound: (r) => rounds.push(r),
    });
    try {
      await reconciler.firstSuccess;
      assert.deepEqual(
        rounds.map((r) => r.kind),
        ['error', 'error', 'ok'],
      );
      assert.deepEqual(rounds[2], {
        kind: 'ok',
        results: [
          { ref: { kind: 'ValidatingWebhookConfiguration', name: 'g' }, result: 'patched' },
          { ref: { kind: 'MutatingWebhookConfiguration', name: 'g' }, result: 'patched' },
        ],
      });
      while (rounds.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(rounds.at(-1)?.kind, 'ok');
    } finally {
      reconciler.stop();
    }
  });

  it('a round that fails part-way reports the patches it made before the failure', async () => {
    const rounds: CaBundleRound[] = [];
    const validating = { kind: 'ValidatingWebhookConfiguration', name: 'g' } as const;
    const mutating = { kind: 'MutatingWebhookConfiguration', name: 'g' } as const;
    const reconciler = startCaBundleReconciler({
      client: {
        async reconcile(ref) {
          if (ref.kind === 'MutatingWebhookConfiguration') throw new Error('HTTP 503');
          return 'patched';
        },
      },
      configurations: [validating, mutating],
      readCa: async () => Buffer.from('CA'),
      retryMs: 1_000,
      onRound: (r) => rounds.push(r),
    });
    while (rounds.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    reconciler.stop();
    const round = rounds[0];
    assert.equal(round?.kind, 'error');
    assert.deepEqual(round?.results, [{ ref: validating, result: 'patched' }]);
    assert.deepEqual(round?.kind === 'error' ? round.ref : undefined, mutating);
  });

  it('a CA file that cannot be read is a failed round', async () => {
    const rounds: CaBundleRound[] = [];
    const reconciler = startCaBundleReconciler({
      client: { reconcile: async () => 'unchanged' },
      configurations: [{ kind: 'ValidatingWebhookConfiguration', name: 'g' }],
      readCa: async () => {
        throw new Error('ENOENT: /tls/ca.crt');
      },
      retryMs: 5,
      onRound: (r) => rounds.push(r),
    });
    while (rounds.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    reconciler.stop();
    assert.equal(rounds[0]?.kind, 'error');
  });
});
