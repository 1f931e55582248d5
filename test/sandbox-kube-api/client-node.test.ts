// @kubernetes/client-node 2 against one API stand-in: the calls the product makes, and the Status shapes of
// the errors it must tell apart.
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoExec, execOnlyControllers, failure, runningPod, startSandbox, statusOf } from './harness.ts';

describe('client-node against the API stand-in', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let objects: k8s.KubernetesObjectApi;

  beforeAll(async () => {
    sb = await startSandbox({ installControllers: execOnlyControllers(echoExec) });
    kc = sb.kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  });
  afterAll(async () => sb?.stop());

  it('creates, reads, lists by label, updates and deletes a ConfigMap', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'settings', labels: { tier: 'web' } }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'default' });
    expect(read.data).toEqual({ a: '1' });
    const list = await core.listNamespacedConfigMap({
      namespace: 'default',
      labelSelector: 'tier in (web,api),!legacy',
    });
    expect(list.items.map((c) => c.metadata?.name)).toEqual(['settings']);
    expect(
      (await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'tier!=web' })).items,
    ).toHaveLength(0);
    read.data = { a: '2' };
    const updated = await core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'default', body: read });
    expect(updated.data).toEqual({ a: '2' });
    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: 'default' });
    const gone = await failure(core.readNamespacedConfigMap({ name: 'settings', namespace: 'default' }));
    expect((gone as { code: number }).code).toBe(404);
    expect(statusOf(gone)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'configmaps "settings" not found',
    });
  });

  it('answers AlreadyExists and Conflict as real Status objects', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } });
    const dup = await failure(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } }),
    );
    expect(statusOf(dup)).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "dup" already exists',
    });
    const stale = await core.readNamespacedConfigMap({ name: 'dup', namespace: 'default' });
    await core.replaceNamespacedConfigMap({ name: 'dup', namespace: 'default', body: { ...stale, data: { x: '1' } } });
    const conflict = await failure(
      core.replaceNamespacedConfigMap({ name: 'dup', namespace: 'default', body: { ...stale, data: { x: '2' } } }),
    );
    expect(statusOf(conflict)).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "dup": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('rejects an unknown token with 401 and an unauthorized service account with 403', async () => {
    const anon = sb.kubeConfig('not-a-token').makeApiClient(k8s.CoreV1Api);
    const unauthorized = await failure(anon.listNamespace());
    expect((unauthorized as { code: number }).code).toBe(401);

    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'bot' } } });
    await core.createNamespacedSecret({
      namespace: 'default',
      body: {
        metadata: { name: 'bot-token', annotations: { 'kubernetes.io/service-account.name': 'bot' } },
        type: 'kubernetes.io/service-account-token',
        data: { token: Buffer.from('bot-secret').toString('base64') },
      },
    });
    const bot = sb.kubeConfig('bot-secret').makeApiClient(k8s.CoreV1Api);
    const forbidden = await failure(bot.listNamespacedPod({ namespace: 'x' }));
    expect(statusOf(forbidden)).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'pods is forbidden: User "system:serviceaccount:default:bot" cannot list resource "pods" in API group "" in the namespace "x"',
    });
    // The token stops working once its ServiceAccount is gone.
    await core.deleteNamespacedServiceAccount({ name: 'bot', namespace: 'default' });
    expect(((await failure(bot.listNamespacedPod({ namespace: 'x' }))) as { code: number }).code).toBe(401);
  });

  it('validates names and the total size of annotations', async () => {
    const bad = await failure(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Not_Valid' } } }),
    );
    expect(statusOf(bad)).toMatchObject({ code: 422, reason: 'Invalid' });
    const big = await failure(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'big', annotations: { huge: 'x'.repeat(262_200) } } },
      }),
    );
    expect(statusOf(big)).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'ConfigMap "big" is invalid: metadata.annotations: Too long: must have at most 262144 bytes',
    });
    const noNs = await failure(
      core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'c' } } }),
    );
    expect(statusOf(noNs)).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
  });

  it('applies server-side through KubernetesObjectApi and reports field conflicts', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default', labels: { app: 'api' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:1' }] } },
      },
    };
    const created = (await objects.patch(
      deployment,
      undefined,
      undefined,
      'meshops',
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as k8s.V1Deployment;
    expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: 'meshops', operation: 'Apply' });
    const other = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
      spec: { replicas: 5 },
    };
    const conflict = await failure(
      objects.patch(other, undefined, undefined, 'someone-else', false, k8s.PatchStrategy.ServerSideApply),
    );
    expect(statusOf(conflict)).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "meshops" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas' }] },
    });
    const forced = await objects.patch(
      other,
      undefined,
      undefined,
      'someone-else',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect((forced as k8s.V1Deployment).spec?.replicas).toBe(5);
    // Dropping a field from one's own apply removes it when nobody else owns it.
    const withoutLabels = {
      ...deployment,
      metadata: { name: 'api', namespace: 'default' },
      spec: { ...deployment.spec, replicas: undefined },
    };
    const reapplied = (await objects.patch(
      withoutLabels,
      undefined,
      undefined,
      'meshops',
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as k8s.V1Deployment;
    expect(reapplied.metadata?.labels).toBeUndefined();
    expect(reapplied.spec?.replicas).toBe(5);
    const dry = (await objects.patch(
      { ...deployment, spec: { ...deployment.spec, replicas: 9 } },
      undefined,
      'All',
      'dry',
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as k8s.V1Deployment;
    expect(dry.spec?.replicas).toBe(9);
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: 'default' })).spec?.replicas).toBe(5);
  });

  it('merges strategic patches by container name and JSON patches by path', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'two' },
        spec: {
          containers: [
            { name: 'a', image: 'a:1' },
            { name: 'b', image: 'b:1' },
          ],
        },
      },
    });
    const patched = await core.patchNamespacedPod(
      { name: 'two', namespace: 'default', body: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2']);
    const json = await core.patchNamespacedPod(
      { name: 'two', namespace: 'default', body: [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(json.metadata?.labels).toEqual({ x: 'y' });
    expect(json.status?.phase).toBe('Pending');
  });

  it('keeps status and spec apart with the status subresource, and scales through /scale', async () => {
    const sts = await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          serviceName: 'web',
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
        },
      },
    });
    expect(sts.metadata?.generation).toBe(1);
    const withStatus = await apps.replaceNamespacedStatefulSetStatus({
      name: 'web',
      namespace: 'default',
      body: { ...sts, spec: { ...sts.spec!, replicas: 7 }, status: { replicas: 2, readyReplicas: 1 } },
    });
    expect(withStatus.status?.readyReplicas).toBe(1);
    expect(withStatus.spec?.replicas).toBe(2);
    const mainPut = await apps.replaceNamespacedStatefulSet({
      name: 'web',
      namespace: 'default',
      body: { ...withStatus, status: { replicas: 0, readyReplicas: 0 } },
    });
    expect(mainPut.status?.readyReplicas).toBe(1);
    const scale = await apps.readNamespacedStatefulSetScale({ name: 'web', namespace: 'default' });
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app=web' },
    });
    await apps.replaceNamespacedStatefulSetScale({
      name: 'web',
      namespace: 'default',
      body: { ...scale, spec: { replicas: 4 } },
    });
    const after = await apps.readNamespacedStatefulSet({ name: 'web', namespace: 'default' });
    expect(after.spec?.replicas).toBe(4);
    expect(after.metadata?.generation).toBe(2);
  });

  it('garbage-collects owned pods and empties a deleted namespace', async () => {
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    const sts = await apps.createNamespacedStatefulSet({
      namespace: 'shop',
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 1,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db' }] } },
        },
      },
    });
    const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: sts.metadata!.uid!, controller: true };
    await core.createNamespacedPod({
      namespace: 'shop',
      body: {
        metadata: { name: 'db-0', ownerReferences: [owner] },
        spec: { containers: [{ name: 'db', image: 'db' }] },
      },
    });
    await core.createNamespacedPod({
      namespace: 'shop',
      body: { metadata: { name: 'keep' }, spec: { containers: [{ name: 'db', image: 'db' }] } },
    });
    await apps.deleteNamespacedStatefulSet({ name: 'db', namespace: 'shop' });
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: 'shop' })).items.map((p) => p.metadata?.name).join(',') === 'keep',
    );

    const ns = await core.deleteNamespace({ name: 'shop' });
    expect(ns).toBeTruthy();
    expect((await core.readNamespace({ name: 'shop' }).catch(() => undefined))?.status?.phase ?? 'gone').toMatch(
      /Terminating|gone/,
    );
    await waitFor(async () => (await core.listNamespace()).items.every((n) => n.metadata?.name !== 'shop'));
    expect(sb.handle.store.list('', 'Pod', 'shop')).toHaveLength(0);
  });

  it('orphans dependents on request, and deletes them first in the foreground', async () => {
    const rs = await apps.createNamespacedReplicaSet({
      namespace: 'default',
      body: {
        metadata: { name: 'rs' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'rs' } },
          template: { metadata: { labels: { app: 'rs' } }, spec: { containers: [{ name: 'c', image: 'c' }] } },
        },
      },
    });
    const owned = (name: string, uid: string) => ({
      metadata: {
        name,
        labels: { app: 'rs' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid, controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'c' }] },
    });
    await core.createNamespacedPod({ namespace: 'default', body: owned('rs-orphan', rs.metadata!.uid!) });
    await apps.deleteNamespacedReplicaSet({ name: 'rs', namespace: 'default', propagationPolicy: 'Orphan' });
    const orphan = await core.readNamespacedPod({ name: 'rs-orphan', namespace: 'default' });
    expect(orphan.metadata?.ownerReferences ?? []).toEqual([]);

    const rs2 = await apps.createNamespacedReplicaSet({
      namespace: 'default',
      body: { ...rs, metadata: { name: 'rs' } },
    });
    await core.createNamespacedPod({ namespace: 'default', body: owned('rs-child', rs2.metadata!.uid!) });
    await apps.deleteNamespacedReplicaSet({ name: 'rs', namespace: 'default', propagationPolicy: 'Foreground' });
    expect(statusOf(await failure(core.readNamespacedPod({ name: 'rs-child', namespace: 'default' }))).code).toBe(404);
  });

  it('filters lists by field selectors', async () => {
    sb.handle.store.create(
      runningPod('on-node-a', 'default', { spec: { containers: [{ name: 'main', image: 'x' }], nodeName: 'node-a' } }),
    );
    sb.handle.store.create({
      ...runningPod('pending-on-a'),
      spec: { containers: [{ name: 'main', image: 'x' }], nodeName: 'node-a' },
      status: { phase: 'Pending' },
    });
    const onA = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-a,status.phase=Running' });
    expect(onA.items.map((p) => p.metadata?.name)).toEqual(['on-node-a']);
    const notRunning = await core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'spec.nodeName==node-a,status.phase!=Running',
    });
    expect(notRunning.items.map((p) => p.metadata?.name)).toEqual(['pending-on-a']);
    const byName = await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'metadata.name=on-node-a' });
    expect(byName.items).toHaveLength(1);
  });

  it('answers BadRequest and MethodNotAllowed as real Status objects', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'named' } } });
    const mismatch = await failure(
      core.replaceNamespacedConfigMap({
        name: 'named',
        namespace: 'default',
        body: { ...cm, metadata: { ...cm.metadata, name: 'other' } },
      }),
    );
    expect(statusOf(mismatch)).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'the name of the object (other) does not match the name on the URL (named)',
    });
    const objectsApi = k8s.KubernetesObjectApi.makeApiClient(kc);
    const readReview = await failure(
      objectsApi.read({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: { name: 'x' },
      }),
    );
    expect((readReview as { code: number }).code).toBe(405);
  });

  it('delivers watch events to client-node Watch, resuming from a list resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'watched=yes' },
      (type, obj: k8s.V1ConfigMap) => events.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'w1', labels: { watched: 'yes' } } },
    });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'ignored' } } });
    await core.patchNamespacedConfigMap(
      { name: 'w1', namespace: 'default', body: { data: { k: 'v' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
    await waitFor(async () => events.length >= 3);
    controller.abort();
    expect(events).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
  });

  it('feeds an informer', async () => {
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/services', () =>
      core.listNamespacedService({ namespace: 'default' }),
    );
    const seen: string[] = [];
    informer.on('add', (svc: k8s.V1Service) => seen.push(svc.metadata!.name!));
    await informer.start();
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80, name: 'http' }] },
      },
    });
    await waitFor(async () => seen.includes('web'));
    await informer.stop();
    expect(seen).toContain('kubernetes');
  });

  it('runs exec through client-node and reports the exit status', async () => {
    sb.handle.store.create(runningPod('netshoot'));
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (d: Buffer) => chunks.push(d.toString()));
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc)
        .exec('default', 'netshoot', 'main', ['ping', '-c', '1', 'web-0'], out, null, null, false, resolve)
        .catch(reject);
    });
    expect(status.status).toBe('Success');
    expect(chunks.join('')).toContain('icmp_seq=1');
    const failed = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc).exec('default', 'netshoot', 'main', ['false'], null, null, null, false, resolve).catch(reject);
    });
    expect(failed).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('reads pod logs with tailLines', async () => {
    sb.handle.store.create(runningPod('logger'));
    for (const line of ['one', 'two', 'three']) sb.handle.logs.append('default', 'logger', line);
    expect(await core.readNamespacedPodLog({ name: 'logger', namespace: 'default', tailLines: 2 })).toBe(
      'two\nthree\n',
    );
  });

  it('follows pod logs as lines are written', async () => {
    sb.handle.store.create(runningPod('typha', 'default'));
    sb.handle.logs.append('default', 'typha', 'starting');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    let ended = false;
    out.on('finish', () => (ended = true));
    await new k8s.Log(kc).log('default', 'typha', 'main', out, { follow: true });
    sb.handle.logs.append('default', 'typha', 'Sending in-sync update for RemoteClusterConfiguration(pdx)');
    await waitFor(async () => text.includes('in-sync'));
    expect(ended).toBe(false);
    // The stream ends when the pod goes, as `kubectl logs -f` does.
    await core.deleteNamespacedPod({ name: 'typha', namespace: 'default' });
    await waitFor(async () => ended);
    expect(text).toBe('starting\nSending in-sync update for RemoteClusterConfiguration(pdx)\n');
  });

  it('issues service-account tokens through the TokenRequest API, valid while the account exists', async () => {
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'federation' } } });
    const issued = await core.createNamespacedServiceAccountToken({
      name: 'federation',
      namespace: 'default',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const token = issued.status?.token ?? '';
    expect(token.split('.')).toHaveLength(3);
    const asSa = sb.kubeConfig(token).makeApiClient(k8s.AuthenticationV1Api);
    const review = await asSa.createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(review.status?.userInfo?.username).toBe('system:serviceaccount:default:federation');
    await core.deleteNamespacedServiceAccount({ name: 'federation', namespace: 'default' });
    expect(((await failure(asSa.createSelfSubjectReview({ body: {} }))) as { code: number }).code).toBe(401);
  });

  it('tells a selector watch when an object stops or starts matching', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'flip', labels: { role: 'a' } } },
    });
    const events: string[] = [];
    const controller = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/default/configmaps',
      { labelSelector: 'role=a' },
      (type, obj: k8s.V1ConfigMap) => events.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    const relabel = (role: string) =>
      core.patchNamespacedConfigMap(
        { name: 'flip', namespace: 'default', body: { metadata: { labels: { role } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await waitFor(async () => events.length === 1);
    await relabel('b');
    await relabel('a');
    await waitFor(async () => events.length >= 3);
    controller.abort();
    expect(events).toEqual(['ADDED flip', 'DELETED flip', 'ADDED flip']);
  });

  it('registers custom resources from a CRD and forgets them when it is deleted', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } },
    });
    const discovery = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(discovery.groups.map((g) => g.name)).toContain('example.com');
    await ext.deleteCustomResourceDefinition({ name: 'widgets.example.com' });
    await waitFor(async () => sb.handle.store.list('example.com', 'Widget').length === 0);
    const gone = await failure(
      custom.listNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
      }),
    );
    expect((gone as { code: number }).code).toBe(404);
  });

  it('shows resources a controller registers at run time in discovery at once', async () => {
    sb.handle.api.register({
      group: 'projectcalico.org',
      version: 'v3',
      kind: 'IPPool',
      plural: 'ippools',
      namespaced: false,
    });
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.find((g) => g.name === 'projectcalico.org')?.preferredVersion?.version).toBe('v3');
    expect(sb.handle.api.find('projectcalico.org', 'IPPool')?.plural).toBe('ippools');
    sb.handle.api.unregister('projectcalico.org', 'v3', 'ippools');
    expect((await kc.makeApiClient(k8s.ApisApi).getAPIVersions()).groups.map((g) => g.name)).not.toContain(
      'projectcalico.org',
    );
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
