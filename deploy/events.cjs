// The EventBridge rules that start releases, as `events:` of the dispatch function. Used by
// serverless.yml and by the local runner (which replaces the bucket reference by its own bucket).
//  - S3 "Object Created" under releases/ of the artifact bucket: always.
//  - ECR "Image Action" pushes to the repositories of apps that opt in (ecs apps with `ecr:`).
const { load } = require('./config.cjs');

function patterns(doc, bucket = { Ref: 'ArtifactBucket' }) {
  const s3 = {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: { bucket: { name: [bucket] }, object: { key: [{ prefix: 'releases/' }] } },
  };
  const repos = [...new Set(Object.values(doc?.apps || {}).filter((a) => a?.kind === 'ecs' && a.ecr).map((a) => a.ecr.repository))].sort();
  const ecr = repos.length
    ? { source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': repos } }
    : null;
  return ecr ? { s3, ecr } : { s3 };
}

module.exports = {
  patterns,
  dispatchEvents: () => Object.values(patterns(load())).map((pattern) => ({ eventBridge: { pattern } })),
};
