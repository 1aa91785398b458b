// AWS answers tags as a list of {Key, Value} (ECS: {key, value}); greenlight reads them as a map.

/** {Key, Value} pairs (EC2, Auto Scaling, Elastic Load Balancing) as a map. */
export function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** ECS's lower-case {key, value} pairs as a map. */
export function ecsTagMap(tags: { key?: string; value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
}
