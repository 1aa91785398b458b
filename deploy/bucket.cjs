// The artifact bucket's policy: TLS only, and (when the config lists `uploaders:`) writes under
// releases/ only from those principals and greenlight itself (it writes manifests for ECR pushes).
const { load } = require('./config.cjs');
const { writerRoles } = require('./iam.cjs');

function resources() {
  const uploaders = load().uploaders || [];
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
  if (uploaders.length)
    statements.push({
      Sid: 'ReleasesOnlyFromListedUploaders',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl'],
      Resource: { 'Fn::Sub': '${ArtifactBucket.Arn}/releases/*' },
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [...uploaders, ...writerRoles()] } },
    });
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
