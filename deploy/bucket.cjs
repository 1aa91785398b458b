// The artifact bucket's policy: TLS only, and (when the config lists `uploaders:`) writes under
// releases/ only from those principals and greenlight itself (it writes manifests for ECR pushes).
const { load } = require('./config.cjs');
const { writerRoles } = require('./iam.cjs');

function resources() {
  const doc = load();
  const uploaders = doc.uploaders || [];
  const apps = Object.entries(doc.apps || {});
  const statements = [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [{ 'Fn::GetAtt': ['ArtifactBucket', 'Arn'] }, { 'Fn::Sub': '${ArtifactBucket.Arn}/*' }],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ];
  const WRITE = ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl'];
  const deny = (Sid, prefix, principals) => ({
    Sid,
    Effect: 'Deny',
    Principal: '*',
    Action: WRITE,
    Resource: { 'Fn::Sub': `\${ArtifactBucket.Arn}/${prefix}*` },
    Condition: { ArnNotLike: { 'aws:PrincipalArn': [...principals, ...writerRoles()] } },
  });
  const perApp = apps.filter(([, a]) => (a.uploaders || []).length);
  if (!perApp.length) {
    if (uploaders.length) statements.push(deny('ReleasesOnlyFromListedUploaders', 'releases/', uploaders));
  } else {
    // Each app's prefix: its own list, or the top-level one. Every listed principal may reach
    // releases/ at all (the per-app statements narrow it); other prefixes there follow the top level.
    const everyone = [...new Set([...uploaders, ...perApp.flatMap(([, a]) => a.uploaders)])];
    if (uploaders.length) statements.push(deny('ReleasesOnlyFromListedUploaders', 'releases/', everyone));
    for (const [name, a] of apps) {
      const own = (a.uploaders || []).length ? a.uploaders : uploaders;
      if (own.length) statements.push(deny(`ReleasesOf${name.replace(/[^A-Za-z0-9]/g, '')}OnlyFromItsUploaders`, `releases/${name}/`, own));
    }
  }
  return {
    Resources: {
      ArtifactBucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: { Bucket: { Ref: 'ArtifactBucket' }, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      },
    },
  };
}

module.exports = { resources };
