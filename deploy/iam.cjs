// IAM statements for the functions' role, generated from greenlight.config.yml: every mutating
// action is limited to the resources the config names. Loaded by serverless.yml.
const { load, assertRegion } = require('./config.cjs');

function appsOf(doc) {
  if (!doc || typeof doc.apps !== 'object') throw new Error('greenlight.config.yml: expected an "apps:" map');
  return Object.values(doc.apps);
}


const sub = (s) => ({ 'Fn::Sub': s });
const ltArn = (id) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:launch-template/${id}`);
const asgArn = (name) => sub(`arn:\${AWS::Partition}:autoscaling:\${AWS::Region}:\${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/${name}`);

// iam.scope: tags. The resources greenlight changes are named by a tag, not listed by ARN, so
// each policy keeps its size for any number of apps. IAM has no tag condition for iam:PassRole
// (its only keys are iam:PassedToService and iam:AssociatedResourceArn, Service Authorization
// Reference), so passed roles stay listed, once each.
const STACK_TAG = 'greenlight:stack'; // the same as STACK_TAG in src/core/config.ts (the functions tag with it)

/** The config's IAM scope: by ARN (names), or by the greenlight:stack tag's value (tags). */
function scopeOf(doc) {
  const iam = doc?.iam ?? {};
  if (iam.scope !== 'tags') return { tags: false };
  if (!iam.stack) throw new Error('greenlight.config.yml: iam.stack is required with iam.scope: tags (the greenlight:stack tag value on the resources this stack may change)');
  return { tags: true, stack: String(iam.stack), tagged: { StringEquals: { [`aws:ResourceTag/${STACK_TAG}`]: String(iam.stack) } } };
}

/** The functions' IAM statements for a config document (the simulator evaluates these same statements). */
function statements(doc = load()) {
  const apps = appsOf(doc);
  const scope = scopeOf(doc);
  // names: the listed ARNs; tags: every resource of the type, where it carries the stack's tag.
  const scoped = (arns, anyArn, extra = {}) =>
    scope.tags ? { Resource: anyArn, Condition: { ...extra, ...scope.tagged } } : { Resource: arns, ...(Object.keys(extra).length ? { Condition: extra } : {}) };
  const anyLt = ltArn('*');
  const anyGroup = asgArn('*');
  const anyListener = sub('arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:listener/app/*');
  const anyRule = sub('arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:listener-rule/app/*');
  const asgApps = apps.filter((a) => a.kind !== 'ecs'); // asg and eip: launch templates
  const eipEntries = Object.entries(doc.apps || {}).filter(([, a]) => a?.kind === 'eip');
  const ecsApps = apps.filter((a) => a.kind === 'ecs');
  const routed = apps.filter((a) => a.kind !== 'eip');
  const groups = routed.flatMap((a) => [a.blue.autoScalingGroupName, a.green.autoScalingGroupName]).filter(Boolean);
  const listeners = [...routed.filter((a) => !a.ruleArn).map((a) => a.listenerArn), ...routed.map((a) => a.test?.listenerArn).filter(Boolean)];
  const rules = [...apps.filter((a) => a.ruleArn).map((a) => a.ruleArn), ...routed.map((a) => a.test?.ruleArn).filter(Boolean)];
  const templates = [...new Set(asgApps.map((a) => a.launchTemplateId))];
  const launchRoles = [...new Set(asgApps.flatMap((a) => a.passRoles || []))];
  // The apps' services, and their queue-worker services (retire.quiesce.workers hands counts over).
  const services = ecsApps
    .flatMap((a) => [a.blue, a.green, ...(a.retire?.quiesce?.workers ? [a.retire.quiesce.workers.blue, a.retire.quiesce.workers.green] : [])])
    .map((c) => sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:service/${c.cluster}/${c.serviceName}`));
  const out = [
    {
      Sid: 'ReadOnlyDescribeCallsWithoutResourceLevelPermissions',
      Effect: 'Allow',
      Action: [
        'autoscaling:DescribeAutoScalingGroups',
        // When green's instances entered service (CheckGreen predicts when green can be healthy).
        ...(asgApps.length ? ['autoscaling:DescribeScalingActivities'] : []),
        'ec2:DescribeImages',
        'ec2:DescribeLaunchTemplateVersions',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        ...(ecsApps.length ? ['ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:ListContainerInstances', 'ecs:DescribeContainerInstances', 'ecs:ListTasks', 'ecs:DescribeTasks'] : []),
        // When a launching capacity instance can join (JoinCheck: the cluster's instances' launch times).
        ...(ecsApps.some((a) => a.scaling) ? ['ec2:DescribeInstances'] : []),
        ...(routed.some((a) => (a.alarms || []).length || (a.retire?.holdWhileAlarm || []).length) ? ['cloudwatch:DescribeAlarms'] : []),
        // A judged canary reads its target groups' load balancer metrics (no resource-level permissions).
        ...(routed.some((a) => a.judge) ? ['cloudwatch:GetMetricData'] : []),
      ],
      Resource: '*',
    },
    {
      Sid: 'ReadReleaseArtifacts',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: sub('${ArtifactBucket.Arn}/releases/*'),
    },
    {
      // Without ListBucket, S3 answers 403 instead of 404 for a missing key.
      Sid: 'ListReleaseArtifacts',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: sub('${ArtifactBucket.Arn}'),
      Condition: { StringLike: { 's3:prefix': ['releases/*'] } },
    },
    ...(templates.length ? [{
      Sid: 'PinArtifactsInConfiguredLaunchTemplates',
      Effect: 'Allow',
      Action: ['ec2:CreateLaunchTemplateVersion'],
      ...scoped(templates.map(ltArn), anyLt),
    },
    ...(scope.tags ? [{
      // tags: a launch is allowed only from a template that carries the stack's tag (the
      // launch-template resource is authorized in every launch from a template).
      Sid: 'LaunchFromTaggedTemplates',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: anyLt,
      Condition: scope.tagged,
    }] : []),
    {
      // Pointing a group at a launch template version is authorized as a launch from it:
      // RunInstances for every resource it names (instance, subnet, ENI, volume, security groups,
      // the template), which carry the template in ec2:LaunchTemplate. Each of them must come from
      // the template (ec2:IsLaunchTemplateResource): a call cannot swap in another instance type,
      // subnet, profile or network. eip servers launch from their templates the same way.
      Sid: 'LaunchFromConfiguredTemplates',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      NotResource: [sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*'), ...(scope.tags ? [anyLt] : [])],
      Condition: { ArnLike: { 'ec2:LaunchTemplate': scope.tags ? anyLt : templates.map(ltArn) }, Bool: { 'ec2:IsLaunchTemplateResource': 'true' } },
    },
    {
      // The image may be the release's own AMI (an ami artifact or an eip image stamp), checked
      // by Resolve; still only in a launch from a configured template.
      Sid: 'LaunchReleaseImagesFromConfiguredTemplates',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*'),
      Condition: { ArnLike: { 'ec2:LaunchTemplate': scope.tags ? anyLt : templates.map(ltArn) } },
    },
    {
      // Tags on launch: greenlight's own (eip servers) and a template's TagSpecifications.
      Sid: 'TagOnLaunch',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: ['instance', 'volume', 'network-interface'].map((t) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${t}/*`)),
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    },
    ...(launchRoles.length ? [{
      // The launch templates' instance profiles: passed to EC2 only.
      Sid: 'PassInstanceProfileRoles',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: launchRoles,
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }] : [])] : []),
    {
      Sid: 'ScaleConfiguredGroups',
      Effect: 'Allow',
      Action: ['autoscaling:UpdateAutoScalingGroup', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      ...scoped(groups.map(asgArn), anyGroup),
    },
    {
      Sid: 'StartReleases',
      Effect: 'Allow',
      Action: ['states:StartExecution'],
      Resource: { Ref: 'ReleaseStateMachine' },
    },
    {
      // The per-app release locks and the history: greenlight's own table only.
      Sid: 'LocksAndHistory',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      Resource: { 'Fn::GetAtt': ['GreenlightTable', 'Arn'] },
    },
    {
      Sid: 'PublishReleaseEvents',
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default'),
      // events:source is multivalued (one value per entry): every entry must be greenlight's, and
      // the key must be there (ForAllValues alone holds for a request without it).
      Condition: { 'ForAllValues:StringEquals': { 'events:source': ['greenlight'] }, Null: { 'events:source': 'false' } },
    },
    { Sid: 'PublishReleaseMessages', Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'ReleaseTopic' } },
  ];
  if (routed.some((a) => (a.alarms || []).length))
    out.push({
      // The guard stops the running release of an app whose guard alarm fires.
      Sid: 'StopReleasesOnGuardAlarms',
      Effect: 'Allow',
      Action: ['states:DescribeExecution', 'states:StopExecution'],
      Resource: sub('arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${ReleaseStateMachine.Name}:*'),
    });
  if (ecsApps.length) {
    out.push(
      { Sid: 'UpdateConfiguredServices', Effect: 'Allow', Action: ['ecs:UpdateService'], ...scoped(services, sub('arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/*')) },
      {
        // The family is the live service's; greenlight only registers revisions tagged as its releases.
        Sid: 'RegisterReleaseTaskDefinitions',
        Effect: 'Allow',
        Action: ['ecs:RegisterTaskDefinition'],
        Resource: '*',
        Condition: { StringLike: { 'aws:RequestTag/greenlight:release': 'greenlight *' } },
      },
      { Sid: 'TagOnRegister', Effect: 'Allow', Action: ['ecs:TagResource'], Resource: '*', Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } } },
    );
    const taskRoles = [...new Set(ecsApps.flatMap((a) => a.passRoles || []))];
    if (taskRoles.length)
      out.push({
        // The derived revision keeps the live task and execution roles (listed in passRoles), which ECS passes on.
        Sid: 'PassTaskRolesToEcs',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: taskRoles,
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      });
  }
  if (eipEntries.length) {
    const appNames = eipEntries.map(([n]) => n);
    const serverTemplates = [...new Set(eipEntries.map(([, a]) => a.launchTemplateId))];
    out.push(
      {
        // Servers greenlight launches from an eip app's template carry the app's tag from the
        // start (tags on create): a launch without it, or with another app's, is refused.
        // tags: a server launched with an app tag carries this stack's tag too.
        Sid: 'TagServersOnLaunch',
        Effect: 'Deny',
        Action: ['ec2:RunInstances'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*'),
        Condition: scope.tags
          ? { Null: { 'aws:RequestTag/greenlight:app': 'false' }, StringNotEquals: { [`aws:RequestTag/${STACK_TAG}`]: scope.stack } }
          : { ArnLike: { 'ec2:LaunchTemplate': serverTemplates.map(ltArn) }, StringNotEquals: { 'aws:RequestTag/greenlight:app': appNames } },
      },
      {
        Sid: 'ReadServersAndAddresses',
        Effect: 'Allow',
        Action: ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeAddresses'],
        Resource: '*',
      },
      {
        Sid: 'TagImagesOnCreate',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*'),
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateImage' } },
      },
      {
        // Only servers and images of the configured apps (greenlight tags what it launches; tag your first server too).
        Sid: 'ManageAppServersAndImages',
        Effect: 'Allow',
        Action: ['ec2:StopInstances', 'ec2:StartInstances', 'ec2:TerminateInstances', 'ec2:CreateImage', 'ec2:DeregisterImage', 'ec2:AssociateAddress'],
        Resource: '*',
        Condition: scope.tags ? scope.tagged : { StringEquals: { 'aws:ResourceTag/greenlight:app': appNames } },
      },
      {
        Sid: 'MoveConfiguredAddresses',
        Effect: 'Allow',
        Action: ['ec2:AssociateAddress'],
        ...scoped(
          eipEntries.map(([, a]) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:elastic-ip/${a.allocationId}`)),
          sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:elastic-ip/*'),
        ),
      },
      {
        Sid: 'ImagesOfLiveServers',
        Effect: 'Allow',
        // CreateImage authorizes the instance (above, by tag), the new image and its snapshots.
        Action: ['ec2:CreateImage'],
        Resource: [sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*'), sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*')],
      },
    );
    const alarmOf = (n) => sub(`arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:greenlight-${n}-status`);
    const watched = eipEntries.filter(([, a]) => a.replaceOnStatusCheckFailure !== false).map(([n]) => n);
    // tags: greenlight's own alarm names (greenlight-<app>-status), by pattern.
    const alarms = scope.tags && watched.length ? [alarmOf('*')] : watched.map(alarmOf);
    if (alarms.length) out.push({ Sid: 'StatusAlarmsOfLiveServers', Effect: 'Allow', Action: ['cloudwatch:PutMetricAlarm'], Resource: alarms });
  }
  const quiesced = routed.filter((a) => a.kind !== 'ecs' && (a.retire?.quiesce?.suspendProcesses || []).length);
  if (quiesced.length)
    out.push({
      // retire.quiesce: the old colour's group stops launching and replacing while it is kept warm.
      Sid: 'QuiesceConfiguredGroups',
      Effect: 'Allow',
      Action: ['autoscaling:SuspendProcesses', 'autoscaling:ResumeProcesses'],
      ...scoped(quiesced.flatMap((a) => [a.blue.autoScalingGroupName, a.green.autoScalingGroupName]).map(asgArn), anyGroup),
    });
  const replacing = routed.filter((a) => a.kind !== 'ecs' && (a.replaceOnAlarms || []).length);
  if (replacing.length)
    out.push({
      Sid: 'MarkFaultyInstancesOfConfiguredGroups',
      Effect: 'Allow',
      Action: ['autoscaling:SetInstanceHealth'],
      ...scoped(replacing.flatMap((a) => [a.blue.autoScalingGroupName, a.green.autoScalingGroupName]).map(asgArn), anyGroup),
    });
  const scaled = ecsApps.filter((a) => a.scaling);
  if (scaled.length) {
    const scaledGroups = scaled.flatMap((a) => [a.blue.autoScalingGroupName, a.green.autoScalingGroupName]);
    out.push(
      {
        Sid: 'CompleteLifecycleActionsOfScaledGroups',
        Effect: 'Allow',
        Action: ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat'],
        ...scoped(scaledGroups.map(asgArn), anyGroup),
      },
      {
        Sid: 'DrainContainerInstancesOfScaledClusters',
        Effect: 'Allow',
        // tags: container instances carry their EC2 instance's tags when the ECS agent propagates
        // them (ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance) from the group's tag.
        Action: ['ecs:UpdateContainerInstancesState'],
        ...scoped(
          [...new Set(scaled.flatMap((a) => [a.blue.cluster, a.green.cluster]))].map((c) =>
            sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:container-instance/${c}/*`),
          ),
          sub('arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:container-instance/*'),
        ),
      },
    );
  }
  if (ecsApps.some((a) => a.ecr))
    out.push({ Sid: 'WriteManifestsForEcrPushes', Effect: 'Allow', Action: ['s3:PutObject'], Resource: sub('${ArtifactBucket.Arn}/releases/*') });
  const previewed = routed.filter((a) => a.preview);
  if (previewed.length) {
    // Preview rules live on the previewed apps' production listeners, and only there.
    const previewListeners = [...new Set(previewed.map((a) => a.listenerArn))];
    const rulesOf = (listener) => `${listener.replace(':listener/', ':listener-rule/')}/*`;
    const previewApps = Object.entries(doc.apps || {}).filter(([, a]) => a?.preview).map(([n]) => n);
    if (scope.tags)
      out.push(
        {
          // tags: created on the stack's tagged listeners, carrying the stack's tag.
          Sid: 'CreatePreviewRules',
          Effect: 'Allow',
          Action: ['elasticloadbalancing:CreateRule'],
          Resource: anyListener,
          Condition: { ...scope.tagged, StringLike: { 'aws:RequestTag/greenlight:preview': '*' } },
        },
        {
          // AddTags is authorized on the new rule (which has no tags yet), in the CreateRule call only.
          Sid: 'TagPreviewRulesOnCreate',
          Effect: 'Allow',
          Action: ['elasticloadbalancing:AddTags'],
          Resource: anyRule,
          Condition: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule', [`aws:RequestTag/${STACK_TAG}`]: scope.stack } },
        },
        {
          Sid: 'ChangeOnlyPreviewRules',
          Effect: 'Allow',
          Action: ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'],
          Resource: anyRule,
          Condition: { ...scope.tagged, StringLike: { 'aws:ResourceTag/greenlight:preview': '*' } },
        },
      );
    else out.push(
      {
        // Created on those listeners only, tagged at creation (AddTags is authorized on the new rule).
        Sid: 'CreatePreviewRules',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:CreateRule', 'elasticloadbalancing:AddTags'],
        Resource: [...previewListeners, ...previewListeners.map(rulesOf)],
        Condition: { StringEquals: { 'aws:RequestTag/greenlight:app': previewApps } },
      },
      {
        // Changed and deleted only when greenlight's preview tag is on the rule.
        Sid: 'ChangeOnlyPreviewRules',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'],
        Resource: previewListeners.map(rulesOf),
        Condition: { StringLike: { 'aws:ResourceTag/greenlight:preview': '*' } },
      },
    );
  }
  if (listeners.length) out.push({ Sid: 'SwitchConfiguredListeners', Effect: 'Allow', Action: ['elasticloadbalancing:ModifyListener'], ...scoped(listeners, anyListener) });
  if (rules.length) out.push({ Sid: 'SwitchConfiguredRules', Effect: 'Allow', Action: ['elasticloadbalancing:ModifyRule'], ...scoped(rules, anyRule) });
  return out;
}

// Each function's own actions, derived from the AWS calls in its bundle (greenlight derive-iam).
const FUNCTION_ACTIONS = require('./function-actions.json').functions;

/** One function's statements: the stack's, each cut down to the actions this function calls (none: left out). */
function functionStatements(doc, fn) {
  const own = FUNCTION_ACTIONS[fn];
  if (!own) throw new Error(`deploy/function-actions.json has no entry for function ${fn}: run greenlight derive-iam`);
  const wanted = new Set(own.actions);
  return statements(doc)
    .map((st) => ({ ...st, Action: [st.Action].flat().filter((a) => wanted.has(a)) }))
    .filter((st) => st.Action.length > 0);
}

/** The logical id of a function's role in the template. */
const roleId = (fn) => `${fn[0].toUpperCase()}${fn.slice(1)}Role`;

/** Functions that Lambda invokes asynchronously (EventBridge): their on-failure destination is the failure queue. */
const ASYNC_FUNCTIONS = ['dispatch', 'guard'];

/** Each function role's inline policy document. */
function rolePolicies(doc, stage) {
  const tracing = doc?.observability?.tracing === true;
  const policies = {};
  for (const fn of Object.keys(FUNCTION_ACTIONS)) {
    const statement = [
      {
        Sid: 'OwnLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/greenlight-${stage}-${fn}:*`),
      },
      // X-Ray's PutTraceSegments has no resource-level permissions.
      ...(tracing ? [{ Sid: 'Tracing', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }] : []),
      ...(ASYNC_FUNCTIONS.includes(fn) ? [{ Sid: 'OnFailureDestination', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } }] : []),
      ...functionStatements(doc, fn),
    ];
    policies[fn] = { Version: '2012-10-17', Statement: statement };
  }
  return policies;
}

/**
 * One IAM role per function: its own actions (above), writing its own log group, X-Ray when
 * tracing is on, ENIs when it runs in the VPC, the failure queue when it is invoked asynchronously.
 */
function roleResources(doc, stage) {
  const { VPC_FUNCTIONS, vpc } = require('./network.cjs');
  const inVpc = !!vpc();
  const Resources = {};
  const policies = rolePolicies(doc, stage);
  for (const [fn, policy] of Object.entries(policies)) {
    Resources[roleId(fn)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `greenlight ${fn}: only the AWS calls its code makes (deploy/function-actions.json)`,
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        // ENIs in the configured VPC: AWS's managed policy for it (CreateNetworkInterface has no resource-level scoping).
        ...(inVpc && VPC_FUNCTIONS.includes(fn) ? { ManagedPolicyArns: [sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole')] } : {}),
        Policies: [{ PolicyName: `greenlight-${fn}`, PolicyDocument: policy }],
      },
    };
  }
  const tooBig = policyProblems(policies, Object.keys(doc?.apps ?? {}).length);
  if (tooBig) throw new Error(`greenlight.config.yml: ${tooBig}`);
  // The stack's resources grow with the scaled apps (lifecycle hooks): over CloudFormation's limit, refuse here too.
  const tooMany = require('./template-size.cjs').resourceProblem(doc);
  if (tooMany) throw new Error(`greenlight.config.yml: ${tooMany}`);
  return { Resources };
}

// IAM counts a role's inline policies together, without white space, against 10,240 characters
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). The template's
// policies hold CloudFormation's Fn::Sub and Fn::GetAtt; their size is taken as rendered with
// the longest values they can take, so a config that passes here fits in any region.
const ROLE_POLICY_LIMIT = 10240;
const LONGEST = { 'AWS::Partition': 'aws-us-gov', 'AWS::Region': 'ap-southeast-4', 'AWS::AccountId': '123456789012' };
const LONGEST_ARN = `arn:aws-us-gov:s3:::${'b'.repeat(63)}`;

function rendered(node) {
  if (Array.isArray(node)) return node.map(rendered);
  if (node && typeof node === 'object') {
    if (typeof node['Fn::Sub'] === 'string') return node['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, k) => LONGEST[k] ?? LONGEST_ARN);
    if (node['Fn::GetAtt']) return LONGEST_ARN;
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rendered(v)]));
  }
  return node;
}

/** Each function role's policy size as IAM counts it (characters, white space left out). */
function policySizes(policies) {
  return Object.fromEntries(Object.entries(policies).map(([fn, p]) => [fn, JSON.stringify(rendered(p)).replace(/\s/g, '').length]));
}

/** Why the roles cannot be created (a policy over IAM's size limit), or null. */
function policyProblems(policies, appCount) {
  const sizes = Object.entries(policySizes(policies)).sort((a, b) => b[1] - a[1]);
  const over = sizes.filter(([, n]) => n > ROLE_POLICY_LIMIT);
  if (!over.length) return null;
  return `${appCount} apps give the ${over.map(([fn, n]) => `${fn} role a ${n}-character policy`).slice(0, 3).join(', ')}${over.length > 3 ? ` (and ${over.length - 3} more roles)` : ''}; IAM allows ${ROLE_POLICY_LIMIT} per role (each configured resource is named in it). Name them by tag instead: iam: { scope: tags, stack: <stage> } in greenlight.config.yml, and tag each configured group, service, listener, rule, launch template and address greenlight:stack=<stage> (docs/deploy.md); or split the apps across greenlight stacks, one per group: GREENLIGHT_CONFIG_FILE=<group>.yml serverless deploy --stage <group>`;
}

/** The largest function policy (characters as IAM counts them) a config gives, and the limit. */
function largestPolicy(doc = load(), stage = 'dev') {
  const policies = rolePolicies(doc, stage);
  const [fn, chars] = Object.entries(policySizes(policies)).sort((a, b) => b[1] - a[1])[0];
  return { fn, chars, limit: ROLE_POLICY_LIMIT, problem: policyProblems(policies, Object.keys(doc?.apps ?? {}).length) };
}

/** The roles of the functions that may write under releases/ (manifests for ECR pushes), for the bucket policy. */
function writerRoles() {
  return Object.entries(FUNCTION_ACTIONS)
    .filter(([, f]) => f.actions.includes('s3:PutObject'))
    .map(([fn]) => ({ 'Fn::GetAtt': [roleId(fn), 'Arn'] }));
}

module.exports = {
  // Serverless resolves this with the deploy's variables: the config's ARNs must be in its region.
  roles: async ({ resolveVariable }) => {
    const doc = load();
    assertRegion(doc, await resolveVariable('self:provider.region'));
    return roleResources(doc, await resolveVariable('sls:stage'));
  },
  roleResources,
  largestPolicy,
  roleId,
  writerRoles,
  statementsFor: (doc) => statements(doc),
  functionStatements,
  functionNames: () => Object.keys(FUNCTION_ACTIONS),
};
